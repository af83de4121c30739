"""Who may do what: staff users, devices and drivers with tokens, and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from models.base import Base, Timestamped, enum_check

ROLES = ("admin", "staff", "security")
DEVICE_KINDS = ("kiosk", "gate", "hotel_desk", "airport_desk", "registration", "driver")
# Devices that admit people or hand out keys check liveness unless an admin turns it off.
LIVENESS_BY_DEFAULT = ("kiosk", "gate", "hotel_desk")


class StaffUser(Timestamped, Base):
    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint(enum_check("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout and password change: every session cookie issued before stops at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Device(Timestamped, Base):
    """A kiosk, gate, desk or driver phone; authenticates with a bearer token `<id>.<secret>`."""

    __tablename__ = "device"
    __table_args__ = (CheckConstraint(enum_check("kind", DEVICE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gate.id", ondelete="SET NULL"))
    hotel_id: Mapped[int | None] = mapped_column(ForeignKey("hotel.id", ondelete="SET NULL"))
    # Not unique: a driver who gets a new phone gets a second token; the old one is revoked.
    driver_id: Mapped[int | None] = mapped_column(
        ForeignKey("driver.id", ondelete="CASCADE"), index=True
    )
    liveness_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # The device's own public key (base64, Ed25519 or X25519 as the use says): gates sign their
    # offline decisions with the private half, which never leaves the device.
    public_key: Mapped[str | None] = mapped_column(Text)
    # The highest offline-queue sequence number the server accepted from this device.
    offline_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEntry(Timestamped, Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))  # "staff:1", "device:4", "system"
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class TicketUse(Base):
    """A redeemed single-use identification ticket (its random id): a second use is refused."""

    __tablename__ = "ticket_use"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(String(32), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
