"""Attendee aggregate: the person, their real-name identity, consent, and journey timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from models.base import Base, Timestamped, enum_check

CATEGORIES = ("delegate", "vip", "speaker", "media", "exhibitor", "staff", "visitor")
ID_TYPES = ("cn_resident", "passport", "hk_macau_permit", "taiwan_permit")
STAGES = (
    "registered",
    "arrived",
    "picked_up",
    "hotel_checked_in",
    "venue_checked_in",
    "hotel_checked_out",
    "departed",
)


class Attendee(Timestamped, Base):
    __tablename__ = "attendee"
    __table_args__ = (
        CheckConstraint(enum_check("category", CATEGORIES), name="category"),
        CheckConstraint(enum_check("id_type", ID_TYPES), name="id_type"),
        CheckConstraint("NOT consent_face OR consent_face_at IS NOT NULL", name="consent_time"),
        UniqueConstraint("id_type", "id_digest"),
        Index("ix_attendee_name", "name"),
        Index("ix_attendee_pinyin", "name_pinyin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # registration number shown to people
    name: Mapped[str] = mapped_column(String(100))
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh")
    nationality: Mapped[str] = mapped_column(String(2), default="CN")  # ISO 3166 alpha-2
    id_type: Mapped[str] = mapped_column(String(20))
    id_digest: Mapped[str] = mapped_column(String(64))  # keyed digest: look-up and uniqueness
    id_masked: Mapped[str] = mapped_column(String(40))
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM, unmasked only by an admin
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    consent_face: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_face_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)  # access withdrawn
    share_with: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    portal_code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    portal_code_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Bumped when the phone link is revoked or re-issued: older phone sessions stop at once.
    portal_session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    steps: Mapped[list[JourneyStep]] = relationship(
        back_populates="attendee", order_by="JourneyStep.at", cascade="all, delete-orphan"
    )


class JourneyStep(Base):
    """One stage of one attendee's journey; each stage is recorded at most once."""

    __tablename__ = "journey_step"
    __table_args__ = (
        CheckConstraint(enum_check("stage", STAGES), name="stage"),
        UniqueConstraint("attendee_id", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(80))  # "device:12", "staff:3", "driver:7"
    detail: Mapped[str] = mapped_column(Text, default="")

    attendee: Mapped[Attendee] = relationship(back_populates="steps")
