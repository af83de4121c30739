"""The event log: every published domain event, numbered, for live relay and catch-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class DomainEvent(Timestamped, Base):
    """`id` is the sequence number clients use to ask for what they missed."""

    __tablename__ = "domain_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    rooms: Mapped[str] = mapped_column(String(400))  # space-separated Socket.IO rooms
    payload: Mapped[str] = mapped_column(Text)  # JSON, masked personal data only


class Alert(Timestamped, Base):
    """Something staff must acknowledge on the console."""

    __tablename__ = "alert"
    # The console lists open alerts on every refresh: find them without a scan.
    __table_args__ = (Index("ix_alert_open", "acknowledged_by", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    message: Mapped[str] = mapped_column(Text)
    # JSON: the values a screen words the alert with in its own language (masked names only).
    params: Mapped[str | None] = mapped_column(Text)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gate.id", ondelete="SET NULL"))
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    security: Mapped[bool] = mapped_column(Boolean, default=False)  # also for security staff
