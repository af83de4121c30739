"""Time helpers: everything is stored in UTC and shown in the summit's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SUMMIT_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC now; columns store naive UTC so SQLite and PostgreSQL agree."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc(value: datetime, tz: ZoneInfo = SUMMIT_TZ) -> datetime:
    """Convert an aware datetime, or a naive one in `tz`, to naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC).replace(tzinfo=None)


def to_local(value: datetime, tz: ZoneInfo = SUMMIT_TZ) -> datetime:
    """Convert a naive UTC datetime to the summit's local time (aware)."""
    return value.replace(tzinfo=UTC).astimezone(tz)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with an explicit UTC offset, for API answers."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).isoformat()
