"""Time: stored in UTC, shown in the summit's time zone, and simulated during rehearsals.

Every "now" in the system comes from `utcnow()`. Normally that is the wall clock. A rehearsal
(`python run.py rehearse`) runs its server with `SUMMIT_CLOCK="<start ISO 8601>@<speed>"`, so
the server and the simulator share one simulated clock that starts at the summit and runs
`speed` times faster than real time; `advance()` lets the simulator skip quiet hours.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SUMMIT_TZ = ZoneInfo("Asia/Shanghai")


class SimClock:
    """A clock that starts at `start` (naive UTC) and runs `speed` times faster than real time."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()
        self._skipped = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._origin) * self._speed
            return self._start + self._skipped + timedelta(seconds=elapsed)

    @property
    def speed(self) -> float:
        return self._speed

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._skipped += delta

    @classmethod
    def parse(cls, spec: str) -> SimClock:
        """'2026-12-07T06:00:00+08:00@60' -> a clock from that moment at 60x."""
        when, _, speed = spec.partition("@")
        start = datetime.fromisoformat(when)
        return cls(to_utc(start), float(speed or 1))


_sim: SimClock | None = None


def use_clock(clock: SimClock | None) -> None:
    """Switch this process to a simulated clock (None: back to the wall clock)."""
    global _sim
    _sim = clock


def simulated() -> SimClock | None:
    return _sim


def save_clock(clock: SimClock, path: Path) -> None:
    """Write a server's simulated clock where commands run beside it can follow it."""
    data = {"now": clock.now().isoformat(), "speed": clock.speed, "wall": time.time()}
    path.write_text(json.dumps(data))


def saved_clock(path: Path, max_age: float = 120.0) -> SimClock | None:
    """The clock `save_clock` wrote, carried forward to now; None when absent or stale
    (a server that stopped `max_age` real seconds ago no longer runs a simulated clock)."""
    try:
        data = json.loads(path.read_text())
        age = time.time() - float(data["wall"])
        speed = float(data["speed"])
        now = datetime.fromisoformat(data["now"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not 0 <= age <= max_age:
        return None
    return SimClock(now + timedelta(seconds=age * speed), speed)


def utcnow() -> datetime:
    """Naive UTC now; columns store naive UTC so SQLite and PostgreSQL agree."""
    if _sim is not None:
        return _sim.now()
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


if os.environ.get("SUMMIT_CLOCK"):  # a rehearsal server: see the module docstring
    _sim = SimClock.parse(os.environ["SUMMIT_CLOCK"])
