"""Check-out hands the guest over to the departure-transfer planner.

Two ways, both after the check-out is recorded in the same transaction:
- if the guest's departure leg has no transfer yet (and it is still ahead), the transport
  planner plans it now (`transport.service.replan_legs`), inside a savepoint so that a planner
  failure never blocks a check-out (the leg then stays for the next planning run);
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
    """Plan the guest's departure transfer if none exists; return what the kiosk shows."""
    leg = session.scalar(
        select(Flight).where(Flight.attendee_id == stay.attendee_id, Flight.kind == "departure")
    )
    if leg is None:
        return None
    trip = _transfer(session, stay.attendee_id)
    if trip is None:
        _plan(session, leg, now)
        trip = _transfer(session, stay.attendee_id)
    return {
        "number": leg.number,
        "place": leg.place,
        "scheduled_at": iso(leg.estimated_at or leg.scheduled_at),
        "pickup_at": iso(trip.starts_at) if trip else None,
        "meeting_point": trip.meeting_point if trip else None,
        "transfer_planned": trip is not None,
    }


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


def _plan(session: Session, leg: Flight, now: datetime) -> None:
    from transport.requests import Settings, window
    from transport.service import replan_legs

    settings = Settings()
    if window(leg, settings)[1] < now:
        return  # too late to drive them there: the transport desk handles it by hand
    try:
        with session.begin_nested():
            replan_legs(session, [leg.id], settings)
    except SummitError as exc:
        log.warning("departure planning at check-out refused", extra={"code": exc.code})
    except Exception:  # a planner failure must never keep a guest from checking out
        log.exception("departure planning at check-out failed")
