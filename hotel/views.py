"""Staff views: occupancy per hotel and night, arrivals, unassigned rooms, no-shows, shortages.

Read-only; personal data is masked. A room needed by a sharing pair is counted once (on the
stay with the lower id).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.masking import mask_name
from hotel.errors import HotelInvalid, HotelNotFound
from models.attendee import Attendee
from models.hotel import Hotel, Room, RoomBlock, RoomNight, RoomType, Stay

OPEN = ("reserved", "checked_in")


def _covers(night: date) -> Any:
    return and_(Stay.check_in_date <= night, Stay.check_out_date > night)


def _needs_room() -> Any:
    """The stay that stands for its room: singles, and the lower id of a sharing pair."""
    return or_(Stay.partner_id.is_(None), Stay.id < Stay.partner_id)


def rooms_needed(session: Session, night: date) -> dict[tuple[int, int], int]:
    """Rooms needed per (hotel, room type) for a night by open reservations."""
    rows = session.execute(
        select(Stay.hotel_id, Stay.room_type_id, func.count(Stay.id))
        .where(_covers(night), Stay.state.in_(OPEN), _needs_room())
        .group_by(Stay.hotel_id, Stay.room_type_id)
    ).all()
    return {(h, t): n for h, t, n in rows}


def shortages(session: Session, nights: list[date]) -> list[dict[str, Any]]:
    """Hotel, night and room type where open reservations need more rooms than the blocks hold."""
    found = []
    for night in nights:
        allot = dict(
            session.execute(
                select(RoomBlock.room_type_id, func.sum(RoomBlock.allotment))
                .where(RoomBlock.night == night)
                .group_by(RoomBlock.room_type_id)
            ).all()
        )
        for (hotel_id, type_id), needed in sorted(rooms_needed(session, night).items()):
            have = int(allot.get(type_id, 0))
            if needed > have:
                found.append(
                    {
                        "hotel_id": hotel_id,
                        "room_type_id": type_id,
                        "night": night.isoformat(),
                        "needed": needed,
                        "allotment": have,
                        "short": needed - have,
                    }
                )
    return found


def occupancy(session: Session, night: date) -> list[dict[str, Any]]:
    """Per hotel for one night: rooms, block allotment and use, guests, arrivals, short."""
    needed: dict[int, int] = defaultdict(int)
    for (hotel_id, _), n in rooms_needed(session, night).items():
        needed[hotel_id] += n
    short: dict[int, int] = defaultdict(int)
    for s in shortages(session, [night]):
        short[s["hotel_id"]] += s["short"]
    out = []
    for hotel in session.scalars(select(Hotel).order_by(Hotel.code)):
        out.append(
            {
                "hotel": _hotel(hotel),
                "night": night.isoformat(),
                **_room_counts(session, hotel.id, night),
                **_stay_counts(session, hotel.id, night),
                "rooms_needed": needed[hotel.id],
                "short": short[hotel.id],
            }
        )
    return out


def _room_counts(session: Session, hotel_id: int, night: date) -> dict[str, int]:
    rooms = session.execute(
        select(func.count(Room.id), func.count(Room.id).filter(Room.out_of_order.is_(True))).where(
            Room.hotel_id == hotel_id
        )
    ).one()
    blocks = session.execute(
        select(
            func.coalesce(func.sum(RoomBlock.allotment), 0),
            func.coalesce(func.sum(RoomBlock.used), 0),
        ).where(RoomBlock.hotel_id == hotel_id, RoomBlock.night == night)
    ).one()
    occupied = session.scalar(
        select(func.count(func.distinct(RoomNight.room_id)))
        .join(Room, Room.id == RoomNight.room_id)
        .where(Room.hotel_id == hotel_id, RoomNight.night == night)
    )
    return {
        "rooms": rooms[0],
        "out_of_order": rooms[1],
        "allotment": int(blocks[0]),
        "assigned": int(blocks[1]),
        "rooms_in_use": int(occupied or 0),
    }


def _stay_counts(session: Session, hotel_id: int, night: date) -> dict[str, int]:
    base = select(func.count(Stay.id)).where(Stay.hotel_id == hotel_id)
    covering = base.where(_covers(night))
    arriving = base.where(Stay.check_in_date == night)
    return {
        "guests_in": session.scalar(covering.where(Stay.state == "checked_in")) or 0,
        "arrivals_expected": session.scalar(arriving.where(Stay.state.in_(OPEN))) or 0,
        "arrivals_checked_in": session.scalar(arriving.where(Stay.state == "checked_in")) or 0,
        "unassigned": session.scalar(
            covering.where(Stay.state == "reserved", Stay.room_id.is_(None))
        )
        or 0,
        "no_shows": session.scalar(arriving.where(Stay.state == "no_show")) or 0,
        "departures": session.scalar(base.where(Stay.check_out_date == night)) or 0,
    }


LISTS = {
    "arrivals": lambda night: [Stay.check_in_date == night],
    "unassigned": lambda night: [_covers(night), Stay.state == "reserved", Stay.room_id.is_(None)],
    "no_shows": lambda night: [Stay.check_in_date == night, Stay.state == "no_show"],
    "in_house": lambda night: [_covers(night), Stay.state == "checked_in"],
}


def guest_list(
    session: Session, hotel_id: int, night: date, which: str, limit: int = 500
) -> list[dict[str, Any]]:
    """Masked stays of one hotel and night: arrivals, unassigned, no_shows or in_house."""
    if which not in LISTS:
        raise HotelInvalid(f"list must be one of {', '.join(LISTS)}", "invalid_list")
    if session.get(Hotel, hotel_id) is None:
        raise HotelNotFound(f"no hotel {hotel_id}", "hotel_not_found")
    rows = session.execute(
        select(Stay, Attendee.name, Attendee.category, RoomType.code, Room.number)
        .join(Attendee, Attendee.id == Stay.attendee_id)
        .join(RoomType, RoomType.id == Stay.room_type_id)
        .outerjoin(Room, Room.id == Stay.room_id)
        .where(Stay.hotel_id == hotel_id, *LISTS[which](night))
        .order_by(Stay.id)
        .limit(limit)
    ).all()
    return [
        {
            "stay_id": s.id,
            "attendee_id": s.attendee_id,
            "name": mask_name(name),
            "category": category,
            "room_type": code,
            "room": number,
            "state": s.state,
            "check_in_date": s.check_in_date.isoformat(),
            "check_out_date": s.check_out_date.isoformat(),
            "shares": s.partner_id is not None,
        }
        for s, name, category, code, number in rows
    ]


def hotels(session: Session) -> list[dict[str, Any]]:
    """All hotels with their travel times (no Wi-Fi password: that is for guests at check-in)."""
    return [_hotel(h) for h in session.scalars(select(Hotel).order_by(Hotel.code))]


def _hotel(h: Hotel) -> dict[str, Any]:
    return {
        "id": h.id,
        "code": h.code,
        "name_zh": h.name_zh,
        "name_en": h.name_en,
        "travel_minutes_airport": h.travel_minutes_airport,
        "travel_minutes_station": h.travel_minutes_station,
    }
