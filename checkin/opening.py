"""When a zone admits a category: who a gate camera may recognise today, and when it opens.

A gate camera matches faces against the people its zone admits now *and* those it admits later
today, so that an enrolled delegate who arrives before the hall opens is told "not open yet,
opens at 09:00" (`outside_hours` with `opens_at`) instead of "not recognised". The gate's rules
(`checkin.decision_rules`) still decide; this only widens whom the camera can name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.rules import zone_access
from models.attendee import Attendee
from models.venue import Zone

AHEAD = timedelta(hours=18)  # how far ahead "later today" looks


def categories_today(session: Session, zone: Zone, now: datetime) -> frozenset[str]:
    """Categories the zone admits now or at some time in the next `AHEAD` hours."""
    access = zone_access(session, zone)
    if access.windows:
        later = [
            w.categories for w in access.windows if w.ends_at > now and w.starts_at < now + AHEAD
        ]
        return frozenset().union(*later)
    if access.closes_at is not None and access.closes_at <= now:
        return frozenset()
    if access.opens_at is not None and access.opens_at >= now + AHEAD:
        return frozenset()
    return access.categories


def attendees_today(session: Session, zone: Zone, now: datetime) -> frozenset[int]:
    """Attendees (not revoked, with face consent) the zone admits now or later today."""
    categories = categories_today(session, zone, now)
    if not categories:
        return frozenset()
    query = select(Attendee.id).where(
        Attendee.category.in_(sorted(categories)),
        Attendee.revoked.is_(False),
        Attendee.consent_face.is_(True),
    )
    return frozenset(session.scalars(query))


def opens_at(session: Session, zone: Zone, category: str | None, now: datetime) -> datetime | None:
    """The next time (naive UTC) the zone admits this category, if it does later."""
    access = zone_access(session, zone)
    if access.windows:
        starts = [
            w.starts_at for w in access.windows if category in w.categories and w.starts_at > now
        ]
        return min(starts) if starts else None
    if category in access.categories and access.opens_at is not None and access.opens_at > now:
        return access.opens_at
    return None
