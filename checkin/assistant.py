"""Answers of the kiosk assistant, built read-only from the summit's data.

Texts come from the catalogue (recognition/speech/catalogue.json); this module only fills in
the fields. Personal intents are answered only for an identified attendee, and what is spoken
aloud is never personal: the details go on the screen, the voice says "your details are on
the screen".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local
from core.masking import mask_name
from models.attendee import Attendee
from models.hotel import Hotel, Room, Stay
from models.transport import Trip, TripPassenger, Vehicle
from models.venue import AgendaSession, Zone
from recognition.speech.catalogue import SessionName, SummitWords, ZoneName, load_catalogue
from recognition.speech.intents import Intent


@dataclass(frozen=True)
class Answer:
    """What the kiosk shows (`text`) and says (`speak`); `personal` marks attendee data."""

    text: str
    speak: str
    personal: bool = False
    offer_help: bool = False
    greeting: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speak": self.speak,
            "personal": self.personal,
            "offer_help": self.offer_help,
            "greeting": self.greeting,
        }


def summit_words(db: Session, now: datetime) -> SummitWords:
    """Session titles (upcoming first) and zone names the recognisers and slots should know."""
    sessions = db.scalars(select(AgendaSession).order_by(AgendaSession.starts_at)).all()
    upcoming = [s for s in sessions if s.ends_at >= now] + [s for s in sessions if s.ends_at < now]
    zones = db.scalars(select(Zone).order_by(Zone.id)).all()
    return SummitWords(
        sessions=tuple(SessionName(s.id, s.title_en, s.title_zh) for s in upcoming),
        zones=tuple(ZoneName(z.code, z.name_en, z.name_zh) for z in zones),
    )


def text(key: str, language: str, **fields: Any) -> str:
    """A catalogue answer text in `language` (English when missing) with its fields filled."""
    texts = load_catalogue()["answers"][key]
    template: str = texts.get(language) or texts["en"]
    return template.format(**fields)


def _when(value: datetime, language: str) -> dict[str, str]:
    local = to_local(value)
    day = f"{local.month}月{local.day}日" if language == "zh" else local.strftime("%b %d")
    return {"day": day, "time": local.strftime("%H:%M")}


def _stay(db: Session, attendee_id: int, today: date) -> Stay | None:
    """The attendee's current stay, else the next one."""
    stays = db.scalars(
        select(Stay)
        .where(Stay.attendee_id == attendee_id, Stay.state.in_(("reserved", "checked_in")))
        .where(Stay.check_out_date >= today)
        .order_by(Stay.check_in_date)
    ).all()
    return stays[0] if stays else None


def _hotel_name(hotel: Hotel, language: str) -> str:
    return hotel.name_zh if language == "zh" else hotel.name_en


def answer_my_hotel(db: Session, intent: Intent, language: str, who: int, now: datetime) -> str:
    stay = _stay(db, who, now.date())
    if stay is None:
        return text("no_hotel", language)
    hotel = db.get(Hotel, stay.hotel_id)
    assert hotel is not None  # foreign key
    room = db.get(Room, stay.room_id) if stay.room_id else None
    room_text = text("my_hotel_room", language, room=room.number) if room else ""
    return text(
        "my_hotel",
        language,
        hotel=_hotel_name(hotel, language),
        address=hotel.address,
        check_in=stay.check_in_date.isoformat(),
        check_out=stay.check_out_date.isoformat(),
        room_text=room_text,
    )


def _next_trip(db: Session, who: int, kinds: tuple[str, ...], now: datetime) -> Trip | None:
    trips = db.scalars(
        select(Trip)
        .join(TripPassenger, TripPassenger.trip_id == Trip.id)
        .where(TripPassenger.attendee_id == who, Trip.kind.in_(kinds))
        .where(Trip.state.not_in(("cancelled", "dropped_off")), Trip.ends_at >= now)
        .order_by(Trip.starts_at)
    ).all()
    return trips[0] if trips else None


def _trip_answer(db: Session, trip: Trip | None, language: str) -> str:
    if trip is None:
        return text("no_trip", language)
    vehicle = db.get(Vehicle, trip.vehicle_id) if trip.vehicle_id else None
    return text(
        "my_trip",
        language,
        kind=text(f"kind_{trip.kind}", language),
        vehicle=vehicle.plate if vehicle else "",
        place=trip.place,
        meeting_point=trip.meeting_point or "-",
        **_when(trip.starts_at, language),
    )


def answer_my_pickup(db: Session, intent: Intent, language: str, who: int, now: datetime) -> str:
    trip = _next_trip(db, who, ("pickup",), now) or _next_trip(db, who, ("departure",), now)
    return _trip_answer(db, trip, language)


def answer_my_departure(db: Session, intent: Intent, language: str, who: int, now: datetime) -> str:
    return _trip_answer(db, _next_trip(db, who, ("departure",), now), language)


def answer_checkout(db: Session, intent: Intent, language: str, who: int, now: datetime) -> str:
    stay = _stay(db, who, now.date())
    if stay is None:
        return text("checkout_none", language)
    hotel = db.get(Hotel, stay.hotel_id)
    assert hotel is not None
    name = _hotel_name(hotel, language)
    return text("checkout", language, hotel=name, check_out=stay.check_out_date.isoformat())


def _session_text(db: Session, s: AgendaSession, key: str, language: str) -> str:
    title = s.title_zh if language == "zh" else s.title_en
    return text(key, language, title=title, room=s.room, **_when(s.starts_at, language))


def answer_agenda_next(
    db: Session, intent: Intent, language: str, who: int | None, now: datetime
) -> str:
    s = db.scalars(
        select(AgendaSession)
        .where(AgendaSession.starts_at >= now)
        .order_by(AgendaSession.starts_at)
    ).first()
    return _session_text(db, s, "agenda_next", language) if s else text("agenda_none", language)


def answer_agenda_session(
    db: Session, intent: Intent, language: str, who: int | None, now: datetime
) -> str:
    s = db.get(AgendaSession, intent.slots.get("session_id", 0))
    return _session_text(db, s, "agenda_session", language) if s else text("no_session", language)


def answer_directions(
    db: Session, intent: Intent, language: str, who: int | None, now: datetime
) -> str:
    place = str(intent.slots.get("place", ""))
    hint = load_catalogue()["places"].get(place, {}).get("zone") or place.removeprefix("zone:")
    zone = (
        db.scalars(select(Zone).where(Zone.code.contains(hint)).order_by(Zone.id)).first()
        if hint
        else None
    )
    where = (zone.directions_zh if language == "zh" else zone.directions_en) if zone else ""
    if not where:
        general = load_catalogue()["general_directions"]
        texts = general.get(place) or general["default"]
        where = texts.get(language) or texts["en"]
    name = (
        (zone.name_zh if language == "zh" else zone.name_en)
        if zone
        else intent.slots.get("place_name", "")
    )
    return text("directions", language, place=name, directions=where)


def answer_wifi(db: Session, intent: Intent, language: str, who: int | None, now: datetime) -> str:
    venue = load_catalogue()["venue_wifi"]
    ssid = os.environ.get("SUMMIT_WIFI_SSID", venue["ssid"])
    password = os.environ.get("SUMMIT_WIFI_PASSWORD", venue["password"])
    stay = _stay(db, who, now.date()) if who else None
    hotel = db.get(Hotel, stay.hotel_id) if stay else None
    hotel_wifi = ""
    if hotel and hotel.wifi_ssid:
        hotel_wifi = text(
            "hotel_wifi",
            language,
            hotel=_hotel_name(hotel, language),
            ssid=hotel.wifi_ssid,
            password=hotel.wifi_password,
        )
    return text("wifi", language, ssid=ssid, password=password, hotel_wifi=hotel_wifi)


def answer_help(db: Session, intent: Intent, language: str, who: int | None, now: datetime) -> str:
    return text("help", language)


Resolver = Callable[[Session, Intent, str, Any, datetime], str]
RESOLVERS: dict[str, Resolver] = {
    "my_hotel": answer_my_hotel,
    "my_pickup": answer_my_pickup,
    "my_departure": answer_my_departure,
    "checkout": answer_checkout,
    "agenda_next": answer_agenda_next,
    "agenda_session": answer_agenda_session,
    "directions": answer_directions,
    "wifi": answer_wifi,
    "help": answer_help,
}


def known_attendee(db: Session, attendee_id: int | None) -> Attendee | None:
    """The attendee if the id exists and their access was not withdrawn."""
    attendee = db.get(Attendee, attendee_id) if attendee_id else None
    return attendee if attendee is not None and not attendee.revoked else None


def build_answer(
    db: Session, intent: Intent, language: str, attendee_id: int | None, now: datetime
) -> Answer:
    """The answer to an intent, personal only for an identified attendee, never spoken aloud."""
    spec = load_catalogue()["intents"].get(intent.name)
    if spec is None:
        said = text("unknown", language)
        return Answer(said, said, offer_help=True)
    attendee = known_attendee(db, attendee_id)
    if spec["personal"] and attendee is None:
        said = text("identify_first", language)
        return Answer(said, said, offer_help=intent.name == "checkout")
    shown = RESOLVERS[intent.name](db, intent, language, attendee.id if attendee else None, now)
    greeting = mask_name(attendee.name) if attendee else ""
    # The Wi-Fi answer includes the attendee's hotel network once they are identified.
    personal = bool(spec["personal"]) or (intent.name == "wifi" and attendee is not None)
    speak = text("personal_on_screen", language) if personal else shown
    return Answer(
        shown, speak, personal=personal, offer_help=intent.name == "help", greeting=greeting
    )
