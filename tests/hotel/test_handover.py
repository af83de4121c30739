"""Check-out hands the guest to the departure planner: a transfer is planned there and then."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.clock import to_utc
from core.runtime import Runtime
from hotel import service
from hotel.keys import KeyMaker
from models import Driver, Flight, Trip, TripPassenger, Vehicle
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, DEPARTURE, local, make_hotel, make_stay


def test_check_out_plans_the_departure_transfer_from_this_hotel(runtime: Runtime) -> None:
    flight_at = to_utc(datetime.combine(DEPARTURE, datetime.min.time()).replace(hour=15))
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        guest = make_attendee(db, runtime.pii)
        stay_id = make_stay(db, guest.id, hotel).id
        db.add(
            Flight(
                attendee_id=guest.id,
                kind="departure",
                number="MF8102",
                place="FOC",
                terminal="T2",
                scheduled_at=flight_at,
            )
        )
        car = Vehicle(plate="闽A12345", kind="sedan", capacity=4)
        db.add(car)
        db.flush()
        db.add(
            Driver(
                name="陈建华",
                phone="+8613900000000",
                vehicle_id=car.id,
                shift_start=flight_at - timedelta(hours=10),
                shift_end=flight_at + timedelta(hours=4),
            )
        )
        hotel_id = hotel.id
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), stay_id, "test", now=local(ARRIVAL, 18)
        )
    with transaction(runtime.sessions) as db:
        result = service.check_out_guest(db, stay_id, "test", now=local(DEPARTURE, 9))
    departure = result["departure"]
    assert departure["number"] == "MF8102" and departure["transfer_planned"] is True
    with transaction(runtime.sessions) as db:
        trip = db.scalar(
            select(Trip).join(TripPassenger).where(TripPassenger.attendee_id == guest.id)
        )
        assert trip is not None and trip.kind == "departure" and trip.hotel_id == hotel_id
        assert trip.starts_at < flight_at - timedelta(minutes=90)


def test_check_out_without_a_departure_leg_is_recorded_with_no_transfer(
    runtime: Runtime,
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        stay_id = make_stay(db, make_attendee(db, runtime.pii).id, hotel).id
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), stay_id, "test", now=local(ARRIVAL, 18)
        )
        result = service.check_out_guest(db, stay_id, "test", now=local(DEPARTURE, 9))
    assert result["state"] == "checked_out" and result["departure"] is None
