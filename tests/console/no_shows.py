"""A pickup its driver closed because nobody came: two riders marked no-show, a second driver
free, and another trip still open (for the console's reassign tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.runtime import Runtime
from models import Trip
from models.db import transaction
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.service import plan_pickups
from transport.trips import advance_trip, mark_no_show


@dataclass(frozen=True)
class ClosedTrip:
    trip_id: int  # closed: every rider a no-show
    open_trip_id: int  # still assigned to its driver
    rider_ids: tuple[int, ...]


def closed_trip(runtime: Runtime) -> ClosedTrip:
    with transaction(runtime.sessions) as db:
        h1, h2 = make_hotel(db, "H1"), make_hotel(db, "H2")
        riders = make_passengers(db, runtime.pii, 2)
        stranger = make_passengers(db, runtime.pii, 1)[0]
        for p in riders:
            make_stay(db, p, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
            make_leg(db, p, SUMMIT)
        make_stay(db, stranger, h2, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
        make_leg(db, stranger, SUMMIT + timedelta(hours=6), number="MF8102")
        make_driver(db), make_driver(db)
        rider_ids = tuple(p.id for p in riders)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    with transaction(runtime.sessions) as db:
        trips = db.scalars(select(Trip).order_by(Trip.starts_at)).all()
        closing, still_open = trips[0], trips[-1]
        assert closing.id != still_open.id
        driver = closing.driver_id
        assert driver is not None
        for action in ("accept", "arrive"):
            advance_trip(db, driver, closing.id, action)
        for rider in rider_ids:
            mark_no_show(db, driver, closing.id, rider)
        advance_trip(db, driver, closing.id, "close")
        return ClosedTrip(closing.id, still_open.id, rider_ids)
