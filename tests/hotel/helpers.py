"""Small linked hotel fixtures: one hotel with rooms and blocks, and stays for attendees."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.clock import to_utc
from models.hotel import Hotel, Room, RoomBlock, RoomType, Stay

ARRIVAL = date(2026, 12, 7)
NIGHTS = [ARRIVAL + timedelta(days=i) for i in range(3)]
DEPARTURE = ARRIVAL + timedelta(days=3)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC for a local (Asia/Shanghai) clock time on `day`."""
    return to_utc(datetime(day.year, day.month, day.day, hour, minute))


def make_hotel(
    session: Session,
    code: str = "HTL",
    rooms: dict[str, int] | None = None,
    allotment: dict[str, int] | None = None,
    vip_suites: int = 0,
    nights: list[date] | None = None,
) -> Hotel:
    """A hotel with `rooms` per type code and general blocks of `allotment` per type and night."""
    rooms = rooms or {"KING": 4, "TWIN": 2, "SUITE": 1}
    allotment = allotment or dict(rooms)
    hotel = Hotel(
        code=code,
        name_zh=f"{code}酒店",
        name_en=f"{code} Hotel",
        wifi_ssid=f"{code}-Guest",
        wifi_password="summit2026",
    )
    session.add(hotel)
    session.flush()
    for type_code, count in rooms.items():
        rt = RoomType(
            hotel_id=hotel.id,
            code=type_code,
            name=type_code.title(),
            beds=2 if type_code == "TWIN" else 1,
            suite=type_code == "SUITE",
        )
        session.add(rt)
        session.flush()
        for i in range(count):
            session.add(
                Room(
                    hotel_id=hotel.id,
                    room_type_id=rt.id,
                    number=f"{type_code[0]}{i + 1:03d}",
                    floor=1 + i // 10,
                )
            )
        vip = vip_suites if type_code == "SUITE" else 0
        for night in nights or NIGHTS:
            session.add(
                RoomBlock(
                    hotel_id=hotel.id,
                    room_type_id=rt.id,
                    night=night,
                    category="",
                    allotment=allotment.get(type_code, 0) - vip,
                )
            )
            if vip:
                session.add(
                    RoomBlock(
                        hotel_id=hotel.id,
                        room_type_id=rt.id,
                        night=night,
                        category="vip",
                        allotment=vip,
                    )
                )
    session.flush()
    return hotel


def room_type(session: Session, hotel: Hotel, code: str) -> RoomType:
    from sqlalchemy import select

    found = session.scalar(
        select(RoomType).where(RoomType.hotel_id == hotel.id, RoomType.code == code)
    )
    assert found is not None
    return found


def make_stay(
    session: Session, attendee_id: int, hotel: Hotel, type_code: str = "KING", **kw: Any
) -> Stay:
    stay = Stay(
        attendee_id=attendee_id,
        hotel_id=hotel.id,
        room_type_id=room_type(session, hotel, type_code).id,
        check_in_date=kw.pop("check_in_date", ARRIVAL),
        check_out_date=kw.pop("check_out_date", DEPARTURE),
        **kw,
    )
    session.add(stay)
    session.flush()
    return stay


def pair(session: Session, first: Stay, second: Stay) -> None:
    first.partner_id, second.partner_id = second.id, first.id
    session.flush()


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a refused request must leave unchanged."""
    from sqlalchemy import func, select

    from models import DomainEvent, JourneyStep, RoomNight
    from models.auth import TicketUse
    from models.venue import CodeUse

    return {
        "stays": sorted(session.execute(select(Stay.id, Stay.state, Stay.room_id)).all()),
        "ledger": session.scalar(select(func.count(RoomNight.id))),
        "used": session.scalar(select(func.sum(RoomBlock.used))),
        "steps": session.scalar(select(func.count(JourneyStep.id))),
        "events": session.scalar(select(func.count(DomainEvent.id))),
        "tickets_used": session.scalar(select(func.count(TicketUse.id))),
        "codes_used": session.scalar(select(func.count(CodeUse.id))),
    }
