"""Anti-passback and the daily check-in: who is inside which zone, and since when.

Presence flips with a conditional UPDATE (or an INSERT that ignores conflicts), so when twenty
devices scan the same person at once exactly one transaction changes it; the others see that
the person is already inside. A presence older than today's summit day no longer counts.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from checkin.rules import summit_day
from checkin.store import insert_ignore
from core.clock import to_utc
from models.venue import Gate, VenueCheckIn, ZonePresence


def day_start(at: datetime) -> datetime:
    """UTC start of the summit day of `at`."""
    return to_utc(datetime.combine(summit_day(at), time(0)))


def first_seen(session: Session, attendee_id: int, at: datetime) -> datetime | None:
    """When the attendee was first checked in on the summit day of `at`."""
    return session.scalar(
        select(VenueCheckIn.first_seen).where(
            VenueCheckIn.attendee_id == attendee_id, VenueCheckIn.day == summit_day(at)
        )
    )


def is_inside(session: Session, attendee_id: int, zone_id: int, at: datetime) -> bool:
    """True when the attendee entered the zone on the summit day of `at` and has not left.

    The anti-passback fact for `checkin.decision_rules`; `set_inside` still settles races.
    """
    return (
        session.scalar(
            select(ZonePresence.id).where(
                ZonePresence.attendee_id == attendee_id,
                ZonePresence.zone_id == zone_id,
                ZonePresence.inside.is_(True),
                ZonePresence.since >= day_start(at),
            )
        )
        is not None
    )


def set_inside(session: Session, attendee_id: int, zone_id: int, at: datetime) -> bool:
    """Mark the attendee inside; True only for the one transaction that changed it."""
    flipped = session.execute(
        update(ZonePresence)
        .where(
            ZonePresence.attendee_id == attendee_id,
            ZonePresence.zone_id == zone_id,
            or_(ZonePresence.inside.is_(False), ZonePresence.since < day_start(at)),
        )
        .values(inside=True, since=at)
        .returning(ZonePresence.id)
    ).first()
    if flipped is not None:
        return True
    values = {"attendee_id": attendee_id, "zone_id": zone_id, "inside": True, "since": at}
    return insert_ignore(session, ZonePresence, values, ["attendee_id", "zone_id"]) is not None


def set_outside(session: Session, attendee_id: int, zone_id: int, at: datetime) -> bool:
    """Mark the attendee outside; True when they were inside."""
    changed = session.execute(
        update(ZonePresence)
        .where(
            ZonePresence.attendee_id == attendee_id,
            ZonePresence.zone_id == zone_id,
            ZonePresence.inside.is_(True),
        )
        .values(inside=False, since=at)
        .returning(ZonePresence.id)
    ).first()
    return changed is not None


def enter(
    session: Session, attendee_id: int, gate: Gate, event_id: int, at: datetime, force: bool = False
) -> str:
    """Let the attendee into the gate's zone: checked_in, reentry or already_checked_in."""
    if not set_inside(session, attendee_id, gate.zone_id, at) and not force:
        return "already_checked_in"
    day = summit_day(at)
    values = {
        "attendee_id": attendee_id,
        "day": day,
        "first_seen": at,
        "gate_id": gate.id,
        "access_event_id": event_id,
    }
    if insert_ignore(session, VenueCheckIn, values, ["attendee_id", "day"]) is not None:
        return "checked_in"
    # An offline gate's queued scan may predate the online one that reached us first.
    session.execute(
        update(VenueCheckIn)
        .where(
            VenueCheckIn.attendee_id == attendee_id,
            VenueCheckIn.day == day,
            VenueCheckIn.first_seen > at,
        )
        .values(first_seen=at, gate_id=gate.id, access_event_id=event_id)
    )
    return "reentry"


def leave(session: Session, attendee_id: int, gate: Gate, at: datetime) -> str:
    """Let the attendee out: exited, or not_inside when no entry was seen (still let out)."""
    return "exited" if set_outside(session, attendee_id, gate.zone_id, at) else "not_inside"


def inside_counts(session: Session) -> dict[int, int]:
    """People inside each zone now (today's presences only)."""
    from sqlalchemy import func

    from core.clock import utcnow

    rows = session.execute(
        select(ZonePresence.zone_id, func.count(ZonePresence.id))
        .where(ZonePresence.inside.is_(True), ZonePresence.since >= day_start(utcnow()))
        .group_by(ZonePresence.zone_id)
    ).all()
    return {zone_id: count for zone_id, count in rows}
