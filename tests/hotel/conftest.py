"""Hotel fixtures shared by the face tests: a lobby whose guests' faces are enrolled."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import utcnow
from core.runtime import Runtime
from hotel.clock import hotel_night
from models.db import transaction
from recognition.face.api import face_service
from tests.conftest import Caller
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay

TONIGHT = hotel_night(utcnow())
ENROL = {"obama": "enroll/obama/obama.jpg", "biden": "enroll/biden/biden.jpg"}


@dataclass
class FaceLobby:
    hotel_id: int  # HERE: Obama's reservation; Biden's is at THERE
    other_hotel_id: int
    people: dict[str, int]


@pytest.fixture
def face_lobby(runtime: Runtime, faces_dir: Path) -> FaceLobby:
    """Two hotels; Obama and Biden enrolled from one photo each with the real face service."""
    people: dict[str, int] = {}
    dates = {"check_in_date": TONIGHT, "check_out_date": TONIGHT + timedelta(days=2)}
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=[TONIGHT, TONIGHT + timedelta(days=1)])
        there = make_hotel(db, "THERE", nights=[TONIGHT, TONIGHT + timedelta(days=1)])
        for who in ENROL:
            people[who] = make_attendee(db, runtime.pii, name=who.title() + " Test").id
            make_stay(db, people[who], there if who == "biden" else here, **dates)
        ids = here.id, there.id
    faces = face_service(runtime)
    for who, rel in ENROL.items():
        # The face service refreshes its gallery in a session of its own; doing that before our
        # transaction avoids waiting on SQLite's write lock we would hold (see docs/hotel.md).
        faces.sync.refresh()
        with transaction(runtime.sessions) as db:
            faces.enrol(db, people[who], (faces_dir / rel).read_bytes(), "test")
    return FaceLobby(ids[0], ids[1], people)


def show(desk: Caller, photo: Path) -> tuple[int, Any]:
    """Post a still photo to the lobby kiosk's identify call."""
    res = desk.post(
        "/api/hotel/kiosk/identify",
        data={"image": (io.BytesIO(photo.read_bytes()), photo.name)},
        content_type="multipart/form-data",
    )
    return res.status_code, res.json
