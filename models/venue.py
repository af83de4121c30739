"""Venue aggregate: zones and their access rules, gates, access events, daily check-ins,
entrance-code uses, watch list, agenda."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from models.base import Base, Timestamped, enum_check

DIRECTIONS = ("in", "out")
METHODS = ("face", "code", "override")


class Zone(Base):
    __tablename__ = "zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    categories: Mapped[str] = mapped_column(String(200))  # comma-separated attendee categories
    opens_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; None = always
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    directions_en: Mapped[str] = mapped_column(Text, default="")
    directions_zh: Mapped[str] = mapped_column(Text, default="")


class ZoneRule(Base):
    """Who may enter a zone when: categories during [starts_at, ends_at) in UTC.

    A zone with rules admits only through them; a zone without rules falls back to its own
    `categories` and `opens_at`/`closes_at`.
    """

    __tablename__ = "zone_rule"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="time_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"), index=True)
    categories: Mapped[str] = mapped_column(String(200))  # comma-separated attendee categories
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)


class Gate(Base):
    __tablename__ = "gate"
    __table_args__ = (CheckConstraint(enum_check("direction", DIRECTIONS), name="direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    direction: Mapped[str] = mapped_column(String(3), default="in")
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class AccessEvent(Base):
    """Every gate decision, granted or not; `nonce` makes replays from queued gates idempotent."""

    __tablename__ = "access_event"
    __table_args__ = (
        CheckConstraint(enum_check("method", METHODS), name="method"),
        CheckConstraint(enum_check("direction", DIRECTIONS), name="direction"),
        Index("ix_access_event_gate_at", "gate_id", "at"),
        Index("ix_access_event_attendee_at", "attendee_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gate.id", ondelete="RESTRICT"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(3))
    granted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)  # decided by a cut-off gate
    actor: Mapped[str] = mapped_column(String(80), default="")  # "device:3", "staff:2"
    note: Mapped[str] = mapped_column(Text, default="")  # override reason, face distance, ...


class VenueCheckIn(Base):
    """At most one venue check-in per attendee and summit day, however many gates scan at once."""

    __tablename__ = "venue_checkin"
    __table_args__ = (UniqueConstraint("attendee_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gate.id", ondelete="RESTRICT"))
    access_event_id: Mapped[int] = mapped_column(ForeignKey("access_event.id"))


class ZonePresence(Base):
    """Where an attendee is now, for anti-passback; one row per attendee and zone."""

    __tablename__ = "zone_presence"
    __table_args__ = (UniqueConstraint("attendee_id", "zone_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    inside: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CodeUse(Base):
    """First use of an entrance code (by its nonce): the same code at another gate is a replay."""

    __tablename__ = "code_use"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    # None when the code was used at a place other than a gate (see `place`).
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gate.id", ondelete="CASCADE"))
    place: Mapped[str] = mapped_column(String(40), default="")  # "gate:3", "hotel:2", ...
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WatchlistEntry(Timestamped, Base):
    __tablename__ = "watchlist_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AgendaSession(Base):
    __tablename__ = "agenda_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="time_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    room: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
