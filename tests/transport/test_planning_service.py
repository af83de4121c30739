"""Planning against the database: destinations from stays, VIP cars, departures, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from models import Alert, DomainEvent, Flight, Trip, TripPassenger, Vehicle
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
from transport import fleet
from transport.delays import change_estimate
from transport.errors import TransportError
from transport.service import plan_departures, plan_pickups


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_passengers_of_one_flight_share_a_car_to_their_stay_hotel(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "H1", airport=40)
        people = make_passengers(db, runtime.pii, 3)
        for p in people:
            make_stay(db, p, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
            make_leg(db, p, SUMMIT)
        make_driver(db, capacity=4)
    with transaction(runtime.sessions) as db:
        report = plan_pickups(db, now=NOW)
    assert report.trips_created == 1 and report.unplanned == []
    with runtime.sessions() as db:
        trip = db.scalar(select(Trip))
        assert trip.hotel_id == hotel.id and trip.state == "assigned"
        assert trip.starts_at == SUMMIT + timedelta(minutes=25)  # domestic baggage time
        assert trip.ends_at - trip.starts_at == timedelta(minutes=80)  # round trip to the hotel
        names = [e.name for e in db.scalars(select(DomainEvent))]
        assert "trip_assigned" in names


def test_attendee_without_a_stay_is_taken_to_the_venue(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, SUMMIT, place="FZS", terminal="", number="G1631")
        make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    with runtime.sessions() as db:
        trip = db.scalar(select(Trip))
        assert trip.hotel_id is None and trip.place == "FZS"
        assert trip.starts_at == SUMMIT + timedelta(minutes=10)  # trains: no baggage hall


def test_a_vip_rides_alone_in_a_vip_car(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        vip = make_passengers(db, runtime.pii, 1, category="vip")
        others = make_passengers(db, runtime.pii, 2)
        for p in vip + others:
            make_leg(db, p, SUMMIT)
        vip_car = make_driver(db, capacity=4, vip_only=True)
        make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    with runtime.sessions() as db:
        seat = db.scalar(select(TripPassenger).where(TripPassenger.attendee_id == vip[0].id))
        trip = db.get(Trip, seat.trip_id)
        assert trip.driver_id == vip_car.id
        assert db.scalar(select(func.count()).where(TripPassenger.trip_id == trip.id)) == 1


def test_departures_drop_off_two_to_three_hours_before_an_international_flight(
    runtime: Runtime,
) -> None:
    flight_time = SUMMIT + timedelta(hours=10)
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "H2", airport=50)
        people = make_passengers(db, runtime.pii, 2)
        for p in people:
            make_stay(db, p, hotel, SUMMIT.date() - timedelta(days=2), SUMMIT.date())
            make_leg(
                db,
                p,
                flight_time,
                kind="departure",
                number="CX5101",
                terminal="T2",
                international=True,
            )
        make_driver(db)
    with transaction(runtime.sessions) as db:
        report = plan_departures(db, now=NOW)
    assert report.trips_created == 1
    with runtime.sessions() as db:
        trip = db.scalar(select(Trip))
        assert trip.hotel_id == hotel.id and trip.kind == "departure"
        assert flight_time - timedelta(hours=3) <= trip.ends_at <= flight_time - timedelta(hours=2)
        assert trip.ends_at - trip.starts_at == timedelta(minutes=100)


def test_legs_whose_window_has_passed_are_not_planned(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, SUMMIT)
        make_driver(db)
    with transaction(runtime.sessions) as db:
        report = plan_pickups(db, now=SUMMIT + timedelta(hours=3))
    assert report.skipped_past == 1 and report.trips_created == 0
    assert count(runtime, Trip) == 0


def test_no_free_vehicle_raises_an_alert_and_keeps_the_passenger_visible(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, SUMMIT + timedelta(days=3))  # after every shift
        make_driver(db)
    with transaction(runtime.sessions) as db:
        report = plan_pickups(db, now=NOW)
    assert report.unplanned == [person.id]
    with runtime.sessions() as db:
        alert = db.scalar(select(Alert))
        assert alert.kind == "passenger_without_trip" and "张*三" in alert.message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"scheduled_at": NOW - timedelta(hours=1)}, "time_in_past"),
        ({"attendee_id": 99999}, "attendee_not_found"),
        ({"place": "XMN"}, "invalid_place"),
        (
            {"kind": "departure", "scheduled_at": SUMMIT - timedelta(hours=1)},
            "arrival_after_departure",
        ),
        ({"kind": "arrival"}, "duplicate_leg"),
    ],
)
def test_bad_legs_are_refused_with_a_code_and_nothing_is_stored(
    runtime: Runtime,
    change: dict,
    code: str,
) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, SUMMIT)
    data = {
        "attendee_id": person.id,
        "kind": "arrival",
        "number": "MU1",
        "place": "FOC",
        "scheduled_at": SUMMIT + timedelta(hours=1),
        **change,
    }
    with pytest.raises(TransportError) as err, transaction(runtime.sessions) as db:
        fleet.add_flight(db, fleet.LegData(**data), now=NOW)
    assert err.value.code == code
    assert count(runtime, Flight) == 1


@pytest.mark.parametrize("capacity", [0, -3])
def test_a_vehicle_without_seats_is_refused(runtime: Runtime, capacity: int) -> None:
    with pytest.raises(TransportError) as err, transaction(runtime.sessions) as db:
        fleet.add_vehicle(db, "闽A00001", "van", capacity)
    assert err.value.code == "invalid_capacity"
    assert count(runtime, Vehicle) == 0


def test_a_driver_cannot_be_given_two_trips_at_once(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        h1, h2 = make_hotel(db, "H1"), make_hotel(db, "H2")
        a, b = make_passengers(db, runtime.pii, 2)
        make_stay(db, a, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
        make_stay(db, b, h2, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
        make_leg(db, a, SUMMIT)
        make_leg(db, b, SUMMIT)
        make_driver(db)
        make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    with runtime.sessions() as db:
        first, second = db.scalars(select(Trip).order_by(Trip.id)).all()
    with pytest.raises(TransportError) as err, transaction(runtime.sessions) as db:
        fleet.assign_driver(db, second.id, first.driver_id)
    assert err.value.code == "driver_busy"
    with runtime.sessions() as db:
        assert db.get(Trip, second.id).driver_id == second.driver_id


def test_unknown_flight_and_past_estimates_are_refused_without_changes(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        leg = make_leg(db, person, SUMMIT)
    with pytest.raises(TransportError) as err, transaction(runtime.sessions) as db:
        change_estimate(db, 4242, SUMMIT, "test", now=NOW)
    assert err.value.code == "flight_not_found"
    with pytest.raises(TransportError) as err, transaction(runtime.sessions) as db:
        change_estimate(db, leg.id, NOW - timedelta(hours=1), "test", now=NOW)
    assert err.value.code == "time_in_past"
    with runtime.sessions() as db:
        assert db.get(Flight, leg.id).estimated_at is None
