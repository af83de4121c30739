"""Check-out hands the guest over to the departure-transfer planner.

Two ways, both after the check-out is recorded:
- if the guest's departure leg has no transfer yet (and it is still ahead), the check-out is
  committed first, then the transport planner plans the leg (`transport.service.replan_legs`:
  it reads, solves with no transaction open, and writes the trip only if nothing it read
  changed meanwhile, retrying a few times). The solve never holds the write lock, and a planner
  failure or `plan_conflict` never undoes or blocks a check-out (the leg then stays for the
  next planning run);
- the `hotel_checked_out` event (published after commit to "console") carries the hotel and its
  travel minutes, for any other planner or screen that subscribes.
The kiosk shows the guest the transfer that results, if any.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import iso
from core.errors import SummitError
from models.hotel import Stay
from models.transport import Flight, Trip, TripPassenger

log = logging.getLogger("summit.hotel")


def hand_over(session: Session, stay: Stay, now: datetime) -> dict[str, Any] | None:
    """Plan the guest's departure transfer if none exists; return what the kiosk shows.

    When it plans, it commits the caller's transaction first (the check-out so far): the
    guest's check-out stands whatever the planner does. The trip it plans is written in the
    session's next transaction, which the caller commits with the rest of the check-out.
    """
    attendee_id = stay.attendee_id
    leg = _departure(session, attendee_id)
    if leg is None:
        return None
    trip = _transfer(session, attendee_id)
    if trip is None and _still_ahead(leg, now):
        leg_id = leg.id
        session.commit()
        _plan(session, leg_id)
        leg = session.get(Flight, leg_id)
        trip = _transfer(session, attendee_id)
    assert leg is not None  # a leg is never deleted by planning
    return {
        "number": leg.number,
        "place": leg.place,
        "scheduled_at": iso(leg.estimated_at or leg.scheduled_at),
        "pickup_at": iso(trip.starts_at) if trip else None,
        "meeting_point": trip.meeting_point if trip else None,
        "transfer_planned": trip is not None,
    }


def _departure(session: Session, attendee_id: int) -> Flight | None:
    return session.scalar(
        select(Flight).where(Flight.attendee_id == attendee_id, Flight.kind == "departure")
    )


def _transfer(session: Session, attendee_id: int) -> Trip | None:
    return session.scalar(
        select(Trip)
        .join(TripPassenger, TripPassenger.trip_id == Trip.id)
        .where(
            TripPassenger.attendee_id == attendee_id,
            Trip.kind == "departure",
            Trip.state != "cancelled",
        )
        .order_by(Trip.starts_at)
    )


def _still_ahead(leg: Flight, now: datetime) -> bool:
    """False when it is too late to drive them there: the transport desk handles it by hand."""
    from transport.requests import Settings, window

    return window(leg, Settings())[1] >= now


def _plan(session: Session, leg_id: int) -> None:
    from transport.requests import Settings
    from transport.service import replan_legs

    try:
        replan_legs(session, [leg_id], Settings())
    except SummitError as exc:
        session.rollback()  # the check-out is committed; only the unfinished plan goes
        log.warning("departure planning at check-out refused", extra={"code": exc.code})
    except Exception:  # a planner failure must never keep a guest from checking out
        session.rollback()
        log.exception("departure planning at check-out failed")
