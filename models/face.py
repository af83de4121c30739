"""Biometric templates: encrypted at rest, only with consent, purged after the event."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class FaceTemplate(Timestamped, Base):
    __tablename__ = "face_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(20))
    cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM(nonce + float32[128])
    quality: Mapped[float] = mapped_column(Float, default=0.0)
