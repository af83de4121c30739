"""Hotel time: which night a moment belongs to, and the local hour rules of a hotel."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.clock import to_local

# Before this local hour a moment still belongs to the previous night (a 01:30 arrival is a
# late arrival for last night, not an early one for tonight).
NIGHT_ROLLOVER_HOUR = 6


def hotel_night(now: datetime) -> date:
    """The night (its evening's date) that the naive-UTC moment `now` belongs to."""
    local = to_local(now)
    if local.hour < NIGHT_ROLLOVER_HOUR:
        return local.date() - timedelta(days=1)
    return local.date()


def nights_between(first: date, end: date) -> list[date]:
    """The nights from `first` up to but not including `end`."""
    return [first + timedelta(days=i) for i in range((end - first).days)]


def local_hour(now: datetime) -> tuple[date, int]:
    """The local date and hour of a naive-UTC moment."""
    local = to_local(now)
    return local.date(), local.hour


def no_show_deadline(check_in_date: date, cutoff_hour: int) -> datetime:
    """The local moment (naive) after which an unclaimed reservation is a no-show."""
    return datetime.combine(check_in_date + timedelta(days=1), datetime.min.time()).replace(
        hour=cutoff_hour
    )
