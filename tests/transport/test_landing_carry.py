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
from transport.service import carry_landed, plan_stranded


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


def test_a_vehicle_freed_later_takes_a_stranded_leg(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "H1", airport=40)
        first, second = make_passengers(db, runtime.pii, 2)
        for p in (first, second):
            make_stay(db, p, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
        make_leg(db, first, SUMMIT, number="MF8101")
        make_leg(db, second, SUMMIT + timedelta(minutes=5), number="CA1234")
        make_driver(db, capacity=1)
    now = SUMMIT - timedelta(hours=1)
    with transaction(runtime.sessions) as db:
        assert carry_landed(db, []) is None
        stranded = plan_stranded(db, now=now)[0].unplanned
    assert len(stranded) == 1  # one car, booked by the first flight's round trip
    with transaction(runtime.sessions) as db:  # that trip is closed: nobody came
        db.scalars(select(Trip)).one().state = "cancelled"
    with transaction(runtime.sessions) as db:
        report = plan_stranded(db, now=now)[0]
    assert report.trips_created == 1 and report.unplanned == []
    with runtime.sessions() as db:
        assert (
            db.scalar(select(TripPassenger.attendee_id).join(Trip).where(Trip.state != "cancelled"))
            == stranded[0]
        )


def test_a_late_landing_record_of_an_old_flight_plans_or_alerts_without_failing(
    runtime: Runtime,
) -> None:
    from core.clock import utcnow

    old = utcnow() - timedelta(days=2)
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "H1", airport=40)
        (person,) = make_passengers(db, runtime.pii, 1)
        make_stay(db, person, hotel, old.date(), old.date() + timedelta(days=4))
        leg = make_leg(db, person, old)
        make_driver(db, capacity=4)
    with transaction(runtime.sessions) as db:
        record_landing(db, leg.id, old, "desk")
    with transaction(runtime.sessions) as db:
        report = carry_landed(db, [leg.id])
    assert report is not None and report.legs == 1
    with runtime.sessions() as db:
        carried = db.scalar(select(TripPassenger.id).where(TripPassenger.flight_id == leg.id))
        told = db.scalar(select(Alert.id).where(Alert.kind == "passenger_without_trip"))
    assert (carried is None) != (told is None)  # planned, or the console is told why
