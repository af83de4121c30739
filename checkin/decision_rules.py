"""The one order in which a gate refuses a pass, decided from plain facts (no database, no I/O).

Online (`checkin.service`) the facts come from the database, offline (`checkin.offline`) from
the gate's cached bundle, and on replay (`checkin.sync`) from the database at the time the
offline gate decided. All three call `refusal`, so a pass gets the same reason wherever it is
decided. The first rule broken wins:

    1. gate_closed           the gate is switched off
    2. <the claim's failure> the face, code or liveness outcome (face_unknown, code_forged, ...)
    3. attendee_revoked      nobody identified, or their access was withdrawn
       (exit gates stop here: letting people out checks identity only)
    4. watchlist_hit         security must see this person first
    5. code_replayed         the entrance code was first used at another gate
    6. category_not_allowed  the zone's rules do not admit the attendee's category
    7. outside_hours         ... or not at this time
    8. already_checked_in    anti-passback: inside this zone already today

There is no once-a-day refusal: entering again after leaving is granted as `reentry`; the day's
check-in row is simply written once (`checkin.presence.enter`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def split_categories(text: str) -> frozenset[str]:
    """'delegate, vip' -> {'delegate', 'vip'} (a comma-separated column or bundle field)."""
    return frozenset(c.strip() for c in text.split(",") if c.strip())


@dataclass(frozen=True)
class Window:
    """One zone rule: these categories may enter during [starts_at, ends_at) (naive UTC)."""

    categories: frozenset[str]
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ZoneAccess:
    """A zone's admission rules as plain values.

    A zone with windows admits a category only inside one of its windows; a zone without
    windows falls back to its own categories and optional opening hours.
    """

    categories: frozenset[str] = frozenset()
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    windows: tuple[Window, ...] = ()

    def refusal(self, category: str | None, at: datetime) -> str | None:
        """None when the category may enter at `at`; else category_not_allowed or outside_hours."""
        if self.windows:
            mine = [w for w in self.windows if category in w.categories]
            if not mine:
                return "category_not_allowed"
            return None if any(w.starts_at <= at < w.ends_at for w in mine) else "outside_hours"
        if category not in self.categories:
            return "category_not_allowed"
        return None if self._open(at) else "outside_hours"

    def allowed_at(self, at: datetime) -> frozenset[str]:
        """Categories that may enter at `at`."""
        if self.windows:
            open_now = [w.categories for w in self.windows if w.starts_at <= at < w.ends_at]
            return frozenset().union(*open_now)
        return self.categories if self._open(at) else frozenset()

    def _open(self, at: datetime) -> bool:
        return not (self.opens_at and at < self.opens_at) and not (
            self.closes_at and at >= self.closes_at
        )


@dataclass(frozen=True)
class PassFacts:
    """What is known about one pass at one gate, gathered by whoever decides it."""

    at: datetime
    direction: str  # in | out
    zone: ZoneAccess
    category: str | None  # the attendee's category; None when the gate does not know it
    gate_open: bool = True
    failure: str | None = None  # why the face or code did not identify anyone
    attendee_known: bool = True
    revoked: bool = False
    watched: bool = False
    code_replayed: bool = False
    already_inside: bool = False  # inside the gate's zone since the start of today


def refusal(facts: PassFacts) -> str | None:
    """The reason code of the first rule the pass breaks (see the module's order), or None."""
    if not facts.gate_open:
        return "gate_closed"
    if facts.failure:
        return facts.failure
    if not facts.attendee_known or facts.revoked:
        return "attendee_revoked"
    if facts.direction == "out":
        return None
    if facts.watched:
        return "watchlist_hit"
    if facts.code_replayed:
        return "code_replayed"
    zone = facts.zone.refusal(facts.category, facts.at)
    if zone is not None:
        return zone
    return "already_checked_in" if facts.already_inside else None
