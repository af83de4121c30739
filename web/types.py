"""Annotated field types that request bodies share: database ids, counters and summit times.

A body field typed `Id` is a JSON integer from 1 to 2**31-1: never `true`, never `"7"`, never a
number the database column cannot hold. A `SummitTime` is an ISO 8601 text within the summit's
window: the summit runs on the (possibly simulated) clock of `core.clock`, and the system keeps no
summit dates of its own, so the window is `SUMMIT_WINDOW_DAYS` (default 365) either side of now.
A flight that landed in 1970 or a shift that starts in the year 314 is a `validation_error`.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import pydantic

from core.clock import to_utc, utcnow
from web.api import MAX_INT

DEFAULT_WINDOW_DAYS = 365

Id = Annotated[pydantic.StrictInt, pydantic.Field(ge=1, le=MAX_INT)]
Count = Annotated[pydantic.StrictInt, pydantic.Field(ge=0, le=MAX_INT)]
# JSON object keys are always text, so an id used as a key is parsed from its digits.
IdKey = Annotated[int, pydantic.Field(ge=1, le=MAX_INT)]


def window_days() -> int:
    """How many days either side of now a time in a request may lie (`SUMMIT_WINDOW_DAYS`)."""
    raw = os.environ.get("SUMMIT_WINDOW_DAYS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_WINDOW_DAYS


def _text_only(value: Any) -> Any:
    # pydantic would read 0 or false as seconds since 1970; a client must say what it means.
    if isinstance(value, str | datetime | date):
        return value
    raise ValueError("a time is an ISO 8601 text")


def _within_window(value: datetime) -> datetime:
    days = window_days()
    try:
        distance = abs(to_utc(value) - utcnow())
    except OverflowError:  # year 1 or 9999 moved to UTC leaves the calendar
        distance = timedelta.max
    if distance > timedelta(days=days):
        raise ValueError(f"must lie within {days} days of the summit")
    return value


def _day_within_window(value: date) -> date:
    days = window_days()
    if abs(value - utcnow().date()) > timedelta(days=days + 1):
        raise ValueError(f"must lie within {days} days of the summit")
    return value


SummitTime = Annotated[
    datetime,
    pydantic.BeforeValidator(_text_only),
    pydantic.AfterValidator(_within_window),
    pydantic.Field(description="ISO 8601; with an offset, or local summit time"),
]
SummitDay = Annotated[
    date,
    pydantic.BeforeValidator(_text_only),
    pydantic.AfterValidator(_day_within_window),
]
