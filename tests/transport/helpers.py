"""Small linked transport fixtures: hotels with stays, a fleet with drivers, legs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from core.crypto import PiiBox
from models import Attendee, Driver, Flight, Hotel, RoomType, Stay, Vehicle
from tests.factories import make_attendee

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
