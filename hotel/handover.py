"""Check-out hands the guest over to the departure-transfer planner.

The contract is the `hotel_checked_out` domain event (published after commit, to "console"):
a planner subscribes with `core.events.subscribe` and replans the guest's departure. Here the
kiosk also shows the guest the departure transfer that transport has already planned, if any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import iso
from models.hotel import Hotel, Stay
from models.transport import Flight, Trip, TripPassenger


def hand_over(
    session: Session, stay: Stay, hotel: Hotel, now: datetime, actor: str
) -> dict[str, Any] | None:
    """The guest's departure leg and planned transfer, for the kiosk to confirm."""
    del hotel, now, actor
    leg = session.scalar(
        select(Flight).where(Flight.attendee_id == stay.attendee_id, Flight.kind == "departure")
    )
    if leg is None:
        return None
    trip = session.scalar(
        select(Trip)
        .join(TripPassenger, TripPassenger.trip_id == Trip.id)
        .where(
            TripPassenger.attendee_id == stay.attendee_id,
            Trip.kind == "departure",
            Trip.state != "cancelled",
        )
        .order_by(Trip.starts_at)
    )
    return {
        "number": leg.number,
        "place": leg.place,
        "scheduled_at": iso(leg.estimated_at or leg.scheduled_at),
        "pickup_at": iso(trip.starts_at) if trip else None,
        "meeting_point": trip.meeting_point if trip else None,
        "transfer_planned": trip is not None,
    }
