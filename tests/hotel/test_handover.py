"""Check-out hands the guest to the departure planner: a transfer is planned there and then."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.clock import to_utc
from core.runtime import Runtime
from hotel import service
from hotel.keys import KeyMaker
from models import DomainEvent, Driver, Flight, Stay, Trip, TripPassenger, Vehicle
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, DEPARTURE, local, make_hotel, make_stay
from transport import service as transport_service
from transport.planner import Plan

FLIGHT_AT = to_utc(datetime.combine(DEPARTURE, datetime.min.time()).replace(hour=15))


def guest_with_a_flight_home(runtime: Runtime) -> tuple[int, int, int]:
    """A checked-in guest flying home with no transfer yet, and a free car: stay, guest, hotel."""
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
                scheduled_at=FLIGHT_AT,
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
                shift_start=FLIGHT_AT - timedelta(hours=10),
                shift_end=FLIGHT_AT + timedelta(hours=4),
            )
        )
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), stay_id, "test", now=local(ARRIVAL, 18)
        )
        return stay_id, guest.id, hotel.id


def solving_with(monkeypatch: pytest.MonkeyPatch, during: Callable[[], None]) -> list[Plan]:
    """Replace the transport planner with one that calls `during()` while it solves."""
    plans: list[Plan] = []
    real = transport_service.plan

    def solve(*args: Any, **kwargs: Any) -> Plan:
        during()
        plans.append(real(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(transport_service, "plan", solve)
    return plans


def write_elsewhere(runtime: Runtime, sql: str) -> None:
    """Write through a connection of its own that waits at most 2 s for SQLite's write lock."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("this test is about SQLite's write lock")
    conn = sqlite3.connect(str(runtime.engine.url.database), timeout=2, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_check_out_plans_the_departure_transfer_from_this_hotel(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stay_id, guest_id, hotel_id = guest_with_a_flight_home(runtime)
    plans = solving_with(  # the desk changes the Wi-Fi password while the transfer is solved
        monkeypatch, lambda: write_elsewhere(runtime, "UPDATE hotel SET wifi_password = 'x2'")
    )
    with transaction(runtime.sessions) as db:
        result = service.check_out_guest(db, stay_id, "test", now=local(DEPARTURE, 9))
    assert len(plans) == 1
    departure = result["departure"]
    assert departure["number"] == "MF8102" and departure["transfer_planned"] is True
    with transaction(runtime.sessions) as db:
        trip = db.scalar(
            select(Trip).join(TripPassenger).where(TripPassenger.attendee_id == guest_id)
        )
        assert trip is not None and trip.kind == "departure" and trip.hotel_id == hotel_id
        assert trip.starts_at < FLIGHT_AT - timedelta(minutes=90)


def test_check_out_stands_when_the_transfer_keeps_conflicting(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stay_id, _guest, _hotel = guest_with_a_flight_home(runtime)
    plans = solving_with(  # the driver's shift changes during every solve
        monkeypatch,
        lambda: write_elsewhere(
            runtime, "UPDATE driver SET shift_end = datetime(shift_end, '+1 minute')"
        ),
    )
    with transaction(runtime.sessions) as db:
        result = service.check_out_guest(db, stay_id, "test", now=local(DEPARTURE, 9))
    assert len(plans) == transport_service.ATTEMPTS
    assert result["state"] == "checked_out" and result["departure"]["transfer_planned"] is False
    with runtime.sessions() as db:
        assert db.get(Stay, stay_id).state == "checked_out"  # type: ignore[union-attr]
        assert db.scalar(select(func.count(TripPassenger.id))) == 0
        names = db.scalars(select(DomainEvent.name)).all()
        assert "hotel_checked_out" in names and "trip_assigned" not in names


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
