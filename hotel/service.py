"""Hotel use cases: find a reservation, assign a room, check in, check out.

Each function takes plain values and a session; the caller's unit of work commits once, and
events are published after that commit. No-show release and the staff views live in
`hotel.release` and `hotel.views`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkin.journey import record_stage
from core.clock import iso, to_utc
from core.events import emit
from core.masking import mask_name
from hotel import allocation, handover, shortage
from hotel.allocation import changed
from hotel.clock import hotel_night, local_hour, nights_between
from hotel.errors import HotelConflict, HotelInvalid, HotelNotFound, RoomsShort
from hotel.keys import KeyMaker, wifi_uri
from models.attendee import Attendee
from models.hotel import OPEN_STAY_STATES, Hotel, Room, RoomType, Stay

OPEN_STATES = OPEN_STAY_STATES


def get_stay(session: Session, stay_id: int, hotel_id: int | None = None) -> Stay:
    """A stay by id; a hotel desk may only touch the stays of its own hotel."""
    stay = session.get(Stay, stay_id)
    if stay is None:
        raise HotelNotFound(f"no reservation {stay_id}", "stay_not_found")
    if hotel_id is not None and stay.hotel_id != hotel_id:
        other = session.get(Hotel, stay.hotel_id)
        raise HotelConflict(
            f"this reservation is at {other.name_en if other else 'another hotel'}",
            "wrong_hotel",
            hotel=other.code if other else None,
            hotel_zh=other.name_zh if other else None,  # the hotel's name for the guest's screen
            hotel_en=other.name_en if other else None,
        )
    return stay


def find_stay(session: Session, attendee_id: int, hotel_id: int, now: datetime) -> Stay:
    """The attendee's open reservation at this hotel nearest to tonight."""
    stays = session.scalars(
        select(Stay).where(Stay.attendee_id == attendee_id).order_by(Stay.check_in_date)
    ).all()
    if not stays:
        raise HotelNotFound("no hotel reservation for this person", "reservation_not_found")
    tonight = hotel_night(now)
    here = [s for s in stays if s.hotel_id == hotel_id]
    open_here = [s for s in here if s.state in OPEN_STATES and s.check_out_date >= tonight]
    if open_here:
        return open_here[0]
    if here:
        return here[-1]  # closed: the caller reports why (checked out, no-show...)
    return get_stay(session, stays[-1].id, hotel_id)  # raises wrong_hotel, naming the hotel


def reservation_view(session: Session, stay: Stay) -> dict[str, Any]:
    """What a kiosk may show about a reservation (personal data masked)."""
    attendee = session.get(Attendee, stay.attendee_id)
    hotel = session.get(Hotel, stay.hotel_id)
    room_type = session.get(RoomType, stay.room_type_id)
    room = session.get(Room, stay.room_id) if stay.room_id else None
    partner = session.get(Stay, stay.partner_id) if stay.partner_id else None
    partner_person = session.get(Attendee, partner.attendee_id) if partner else None
    assert attendee and hotel and room_type
    return {
        "stay_id": stay.id,
        "attendee_id": stay.attendee_id,
        "name": mask_name(attendee.name),
        "category": attendee.category,
        "hotel": {
            "id": hotel.id,
            "code": hotel.code,
            "name_zh": hotel.name_zh,
            "name_en": hotel.name_en,
        },
        "room_type": {"code": room_type.code, "name": room_type.name, "suite": room_type.suite},
        "check_in_date": stay.check_in_date.isoformat(),
        "check_out_date": stay.check_out_date.isoformat(),
        "state": stay.state,
        "room": room.number if room else None,
        "shares_with": mask_name(partner_person.name) if partner_person else None,
        "checked_in_at": iso(stay.checked_in_at),
        "checked_out_at": iso(stay.checked_out_at),
    }


def assign_room(
    session: Session,
    stay_id: int,
    actor: str,
    *,
    room_id: int | None = None,
    hotel_id: int | None = None,
) -> dict[str, Any]:
    """Give a reserved stay (and its partner) a room for all its nights, ahead of arrival.

    Returns the reservation; raises `RoomsShort` (its alert stored) when no room was left.
    """
    stay = get_stay(session, stay_id, hotel_id)
    require_state(stay, ("reserved",))
    if room_id is not None:
        _check_room(session, stay, room_id)
    nights = nights_between(stay.check_in_date, stay.check_out_date)
    try:
        allocation.allocate(session, stay, nights, room_id)
    except RoomsShort as exc:
        shortage.refuse(session, stay, exc)
    session.refresh(stay)
    view = reservation_view(session, stay)
    emit(session, "hotel_room_assigned", _event(view, actor), ["console"])
    return view


def check_in_guest(
    session: Session,
    keys: KeyMaker,
    stay_id: int,
    actor: str,
    *,
    now: datetime,
    hotel_id: int | None = None,
    room_id: int | None = None,
) -> dict[str, Any]:
    """Check a guest in: assign a room if none yet, issue the key, record the journey.

    Returns the welcome (room, PIN shown once, QR key text, Wi-Fi); raises `RoomsShort` (its
    alert stored) when no room was left. Routes add the QR images after the commit
    (`hotel.keys.with_qr_images`).
    """
    stay = get_stay(session, stay_id, hotel_id)
    require_state(stay, ("reserved",))
    if room_id is not None:
        _check_room(session, stay, room_id)
    nights = _nights_left(stay, now)
    try:
        room_id = allocation.allocate(session, stay, nights, room_id)
    except RoomsShort as exc:
        shortage.refuse(session, stay, exc)
    pin = keys.new_pin()
    claimed = changed(
        session,
        update(Stay)
        .where(Stay.id == stay.id, Stay.state == "reserved")
        .values(state="checked_in", checked_in_at=now, key_pin_digest=keys.pin_digest(stay.id, pin))
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:  # another kiosk checked the same guest in a moment ago
        raise HotelConflict("this guest is already checked in", "already_checked_in")
    session.refresh(stay)
    return _welcome(session, keys, stay, room_id, pin, now, actor)


def _welcome(
    session: Session,
    keys: KeyMaker,
    stay: Stay,
    room_id: int,
    pin: str,
    now: datetime,
    actor: str,
) -> dict[str, Any]:
    hotel = session.get(Hotel, stay.hotel_id)
    room = session.get(Room, room_id)
    assert hotel and room
    expires = to_utc(
        datetime.combine(stay.check_out_date, datetime.min.time()).replace(
            hour=hotel.check_out_hour
        )
    )
    key = keys.qr_key(hotel.code, room.number, stay.id, expires)
    wifi = wifi_uri(hotel.wifi_ssid, hotel.wifi_password)
    view = reservation_view(session, stay)
    today, hour = local_hour(now)
    early = today == stay.check_in_date and hour < hotel.check_in_hour  # not a 01:00 late arrival
    record_stage(
        session,
        stay.attendee_id,
        "hotel_checked_in",
        actor,
        at=now,
        detail=f"{hotel.code} room {room.number}",
    )
    emit(session, "hotel_checked_in", {**_event(view, actor), "early": early}, ["console"])
    return {
        **view,
        "early": early,
        "floor": room.floor,
        "key": {"pin": pin, "qr": key, "valid_until": iso(expires)},
        "wifi": {"ssid": hotel.wifi_ssid, "password": hotel.wifi_password, "uri": wifi},
    }


def check_out_guest(
    session: Session, stay_id: int, actor: str, *, now: datetime, hotel_id: int | None = None
) -> dict[str, Any]:
    """Check a guest out: free the room's remaining nights, record it, hand over to transport."""
    stay = get_stay(session, stay_id, hotel_id)
    require_state(stay, ("checked_in",))
    claimed = changed(
        session,
        update(Stay)
        .where(Stay.id == stay.id, Stay.state == "checked_in")
        .values(state="checked_out", checked_out_at=now)
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise HotelConflict("this guest is already checked out", "already_checked_out")
    today, hour = local_hour(now)
    released = allocation.release(session, stay, today)
    session.refresh(stay)
    hotel = session.get(Hotel, stay.hotel_id)
    assert hotel
    late = today > stay.check_out_date or (
        today == stay.check_out_date and hour >= hotel.check_out_hour
    )
    view = reservation_view(session, stay)
    record_stage(
        session,
        stay.attendee_id,
        "hotel_checked_out",
        actor,
        at=now,
        detail=f"{hotel.code} room {view['room']}",
    )
    departure = handover.hand_over(session, stay, now)
    emit(
        session,
        "hotel_checked_out",
        {
            **_event(view, actor),
            "late": late,
            "early_departure": released > 0,
            "travel_minutes_airport": hotel.travel_minutes_airport,
            "travel_minutes_station": hotel.travel_minutes_station,
        },
        ["console"],
    )
    return {**view, "late": late, "nights_released": released, "departure": departure}


def require_state(stay: Stay, allowed: tuple[str, ...]) -> None:
    """Refuse, with a code that names the stay's state, unless it is one of `allowed`."""
    if stay.state in allowed:
        return
    codes = {
        "reserved": ("this guest has not checked in yet", "not_checked_in"),
        "checked_in": ("this guest is already checked in", "already_checked_in"),
        "checked_out": ("this guest has already checked out", "already_checked_out"),
        "no_show": ("this reservation was released as a no-show", "reservation_released"),
        "cancelled": ("this reservation was cancelled", "reservation_released"),
    }
    message, code = codes[stay.state]
    raise HotelConflict(message, code, state=stay.state)


def _check_room(session: Session, stay: Stay, room_id: int) -> None:
    room = session.get(Room, room_id)
    if room is None:
        raise HotelNotFound(f"no room {room_id}", "room_not_found")
    if room.hotel_id != stay.hotel_id:
        raise HotelInvalid("that room belongs to another hotel", "room_wrong_hotel")
    if room.room_type_id != stay.room_type_id:
        raise HotelInvalid("that room is not of the reserved type", "room_type_mismatch")
    if room.out_of_order:
        raise HotelConflict("that room is out of order", "room_out_of_order")


def _nights_left(stay: Stay, now: datetime) -> list[date]:
    tonight = hotel_night(now)
    if tonight < stay.check_in_date:
        raise HotelConflict(
            f"the reservation starts on {stay.check_in_date.isoformat()}",
            "too_early",
            check_in_date=stay.check_in_date.isoformat(),
        )
    if tonight >= stay.check_out_date:
        raise HotelConflict("the reservation has ended", "reservation_ended")
    return nights_between(max(stay.check_in_date, tonight), stay.check_out_date)


def _event(view: dict[str, Any], actor: str) -> dict[str, Any]:
    return {
        "stay_id": view["stay_id"],
        "attendee_id": view["attendee_id"],
        "name": view["name"],
        "hotel_id": view["hotel"]["id"],
        "hotel": view["hotel"]["code"],
        "room": view["room"],
        "by": actor,
    }


def assign_arrivals(
    session: Session, night: date, actor: str, hotel_id: int | None = None
) -> dict[str, int]:
    """Pre-assign rooms to every reserved, unassigned stay arriving on `night`.

    Each stay's assignment is committed on its own: a shortage's refusal rolls back only its
    own attempt (and stores its alert), and the assignments before it stand.
    """
    query = select(Stay.id).where(
        Stay.check_in_date == night, Stay.state == "reserved", Stay.room_id.is_(None)
    )
    if hotel_id is not None:
        query = query.where(Stay.hotel_id == hotel_id)
    done = {"assigned": 0, "rooms_short": 0}
    for stay_id in session.scalars(query.order_by(Stay.id)).all():
        stay = session.get(Stay, stay_id)
        if stay is None or stay.room_id is not None:  # a partner's assignment covered it
            continue
        try:
            assign_room(session, stay_id, actor)
        except RoomsShort:
            done["rooms_short"] += 1
            continue
        session.commit()
        done["assigned"] += 1
    return done
