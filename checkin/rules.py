"""Zone access rules: which attendee categories may enter a zone at what time.

A zone with `ZoneRule` rows admits a category only inside one of its windows; a zone without
rules falls back to its own `categories` and optional `opens_at`/`closes_at`. The same rules
pick the face candidates of a gate (only people allowed in its zone now), which keeps 1:N small.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.decision_rules import Window, ZoneAccess, split_categories
from core.clock import SUMMIT_TZ, to_local
from models.attendee import Attendee
from models.venue import Zone, ZoneRule


def summit_day(at: datetime) -> date:
    """The summit-local calendar day of a naive UTC time."""
    return to_local(at, SUMMIT_TZ).date()


def zone_access(session: Session, zone: Zone) -> ZoneAccess:
    """The zone's admission rules as plain values, for `checkin.decision_rules`."""
    rules = session.scalars(select(ZoneRule).where(ZoneRule.zone_id == zone.id)).all()
    return ZoneAccess(
        categories=split_categories(zone.categories),
        opens_at=zone.opens_at,
        closes_at=zone.closes_at,
        windows=tuple(
            Window(split_categories(r.categories), r.starts_at, r.ends_at) for r in rules
        ),
    )


def access_refusal(session: Session, zone: Zone, category: str, at: datetime) -> str | None:
    """None when the category may enter now; else category_not_allowed or outside_hours."""
    return zone_access(session, zone).refusal(category, at)


def allowed_categories(session: Session, zone: Zone, at: datetime) -> set[str]:
    """Categories that may enter the zone at `at`."""
    return set(zone_access(session, zone).allowed_at(at))


def allowed_attendee_ids(session: Session, zone: Zone, at: datetime) -> list[int]:
    """Attendees (not revoked, with face consent) who may enter the zone at `at`."""
    categories = allowed_categories(session, zone, at)
    if not categories:
        return []
    return list(
        session.scalars(
            select(Attendee.id).where(
                Attendee.category.in_(sorted(categories)),
                Attendee.revoked.is_(False),
                Attendee.consent_face.is_(True),
            )
        )
    )
