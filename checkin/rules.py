"""Zone access rules: which attendee categories may enter a zone at what time.

A zone with `ZoneRule` rows admits a category only inside one of its windows; a zone without
rules falls back to its own `categories` and optional `opens_at`/`closes_at`. The same rules
pick the face candidates of a gate (only people allowed in its zone now), which keeps 1:N small.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import SUMMIT_TZ, to_local
from models.attendee import Attendee
from models.venue import Zone, ZoneRule


def summit_day(at: datetime) -> date:
    """The summit-local calendar day of a naive UTC time."""
    return to_local(at, SUMMIT_TZ).date()


def _split(categories: str) -> set[str]:
    return {c.strip() for c in categories.split(",") if c.strip()}


def access_refusal(session: Session, zone: Zone, category: str, at: datetime) -> str | None:
    """None when the category may enter now; else category_not_allowed or outside_hours."""
    rules = session.scalars(select(ZoneRule).where(ZoneRule.zone_id == zone.id)).all()
    if rules:
        mine = [r for r in rules if category in _split(r.categories)]
        if not mine:
            return "category_not_allowed"
        return None if any(r.starts_at <= at < r.ends_at for r in mine) else "outside_hours"
    if category not in _split(zone.categories):
        return "category_not_allowed"
    if (zone.opens_at and at < zone.opens_at) or (zone.closes_at and at >= zone.closes_at):
        return "outside_hours"
    return None


def allowed_categories(session: Session, zone: Zone, at: datetime) -> set[str]:
    """Categories that may enter the zone at `at`."""
    rules = session.scalars(select(ZoneRule).where(ZoneRule.zone_id == zone.id)).all()
    if rules:
        out: set[str] = set()
        for rule in rules:
            if rule.starts_at <= at < rule.ends_at:
                out |= _split(rule.categories)
        return out
    if (zone.opens_at and at < zone.opens_at) or (zone.closes_at and at >= zone.closes_at):
        return set()
    return _split(zone.categories)


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
