"""Small linked transport fixtures: hotels with stays, a fleet with drivers, legs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts
from core.crypto import PiiBox
from core.runtime import Runtime
from models import Attendee, Driver, Flight, Hotel, RoomType, Stay, Trip, Vehicle
from models.db import transaction
from tests.factories import make_attendee
from transport.service import plan_pickups

SUMMIT = datetime(2026, 12, 8, 0, 0)  # naive UTC = 08:00 in Fuzhou
NOW = SUMMIT - timedelta(days=2)


def make_hotel(session: Session, code: str = "H1", airport: int = 40, station: int = 20) -> Hotel:
    hotel = Hotel(
        code=code,
        name_zh=f"酒店{code}",
        name_en=f"Hotel {code}",
        travel_minutes_airport=airport,
        travel_minutes_station=station,
    )
    session.add(hotel)
    session.flush()
    return hotel


def make_stay(session: Session, attendee: Attendee, hotel: Hotel, first: date, last: date) -> Stay:
    room_type = RoomType(hotel_id=hotel.id, code=f"K{attendee.id}", name="King")
    session.add(room_type)
    session.flush()
    stay = Stay(
        attendee_id=attendee.id,
        hotel_id=hotel.id,
        room_type_id=room_type.id,
        check_in_date=first,
        check_out_date=last,
    )
    session.add(stay)
    session.flush()
    return stay


def make_driver(
    session: Session,
    capacity: int = 4,
    *,
    kind: str = "sedan",
    vip_only: bool = False,
    plate: str | None = None,
) -> Driver:
    vehicle = Vehicle(
        plate=plate or f"闽A{session.info.setdefault('plate', [100])[0]}",
        kind=kind,
        capacity=capacity,
        vip_only=vip_only,
    )
    session.info["plate"][0] += 1
    session.add(vehicle)
    session.flush()
    driver = Driver(
        name="陈建华",
        phone="+8613900000000",
        vehicle_id=vehicle.id,
        shift_start=SUMMIT - timedelta(hours=8),
        shift_end=SUMMIT + timedelta(hours=16),
    )
    session.add(driver)
    session.flush()
    return driver


def make_leg(
    session: Session,
    attendee: Attendee,
    at: datetime,
    *,
    kind: str = "arrival",
    number: str = "MF8101",
    place: str = "FOC",
    terminal: str = "T1",
    international: bool = False,
) -> Flight:
    leg = Flight(
        attendee_id=attendee.id,
        kind=kind,
        number=number,
        place=place,
        terminal=terminal,
        international=international,
        scheduled_at=at,
    )
    session.add(leg)
    session.flush()
    return leg


def make_passengers(session: Session, pii: PiiBox, n: int, **overrides: object) -> list[Attendee]:
    return [make_attendee(session, pii, **overrides) for _ in range(n)]


def rider_waiting_at_pickup(app: Flask, runtime: Runtime, name: str) -> tuple[int, int, str]:
    """One rider's planned pickup, its driver's phone token, the driver arrived at the kerb:
    (rider id, trip id, driver token)."""
    with transaction(runtime.sessions) as db:
        (rider,) = make_passengers(db, runtime.pii, 1, name=name)
        make_leg(db, rider, SUMMIT)
        driver = make_driver(db, capacity=4)
        rider_id = rider.id
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        trip_id = db.scalar(select(Trip.id))
        _device, token = accounts.create_device(
            db, "phone-1", "driver", "test", driver_id=driver.id
        )
    phone = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for action in ("accept", "arrive"):
        assert phone.post(f"/api/driver/trips/{trip_id}/{action}", headers=auth).status_code == 200
    assert trip_id is not None
    return rider_id, trip_id, token
