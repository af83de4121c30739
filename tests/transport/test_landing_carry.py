"""Nobody lands without a trip unnoticed: a landing plans legs no trip carries, or alerts why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.runtime import Runtime
from models import Alert, Trip, TripPassenger
from models.db import transaction
from tests.transport.helpers import (
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.fleet import record_landing
from transport.service import carry_landed


def landed_flight(runtime: Runtime, drivers: int) -> list[int]:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "H1", airport=40)
        people = make_passengers(db, runtime.pii, 3)
        legs = []
        for p in people:
            make_stay(db, p, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
            legs.append(make_leg(db, p, SUMMIT, number="MF8101"))
        for _ in range(drivers):
            make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:  # lands; nobody planned these legs before
        record_landing(db, legs[0].id, SUMMIT, "desk", now=SUMMIT)
    return [leg.id for leg in legs]


def test_landed_legs_without_a_trip_are_planned_at_once(runtime: Runtime) -> None:
    ids = landed_flight(runtime, drivers=1)
    with transaction(runtime.sessions) as db:
        report = carry_landed(db, ids)
    assert report is not None and report.trips_created == 1 and report.unplanned == []
    with runtime.sessions() as db:
        carried = db.scalars(select(TripPassenger.flight_id).join(Trip)).all()
        assert sorted(carried) == sorted(ids)
    with transaction(runtime.sessions) as db:  # a second landing call changes nothing
        assert carry_landed(db, ids) is None


def test_with_no_car_free_the_console_is_told_why(runtime: Runtime) -> None:
    ids = landed_flight(runtime, drivers=0)
    with transaction(runtime.sessions) as db:
        report = carry_landed(db, ids)
    assert report is not None and len(report.unplanned) == 3
    with runtime.sessions() as db:
        alerts = db.scalars(select(Alert).where(Alert.kind == "passenger_without_trip")).all()
        assert len(alerts) == 3
        assert all("no pickup vehicle free (FOC" in a.message for a in alerts)
