"""Face check-in at the hotel kiosk through the real dlib path, on the shared photos.

Obama has a reservation at this hotel; Biden's is at another one. Each is enrolled from one
photo with the face service, then a different photo is shown to the kiosk.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from core.clock import utcnow
from core.runtime import Runtime
from hotel.clock import hotel_night
from models.db import transaction
from recognition.face.api import face_service
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay, snapshot

TONIGHT = hotel_night(utcnow())
DATES = {"check_in_date": TONIGHT, "check_out_date": TONIGHT + timedelta(days=2)}
ENROL = {"obama": "enroll/obama/obama.jpg", "biden": "enroll/biden/biden.jpg"}


@pytest.fixture
def lobby(app: Flask, runtime: Runtime, faces_dir: Path) -> tuple[Caller, dict[str, int]]:
    people: dict[str, int] = {}
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=[TONIGHT, TONIGHT + timedelta(days=1)])
        there = make_hotel(db, "THERE", nights=[TONIGHT, TONIGHT + timedelta(days=1)])
        for who in ENROL:
            people[who] = make_attendee(db, runtime.pii, name=who.title() + " Test").id
            make_stay(db, people[who], there if who == "biden" else here, **DATES)
        hotel_id = here.id
    faces = face_service(runtime)
    for who, rel in ENROL.items():
        # The face service refreshes its gallery in a session of its own; doing that before our
        # transaction avoids waiting on SQLite's write lock we would hold (see docs/hotel.md).
        faces.sync.refresh()
        with transaction(runtime.sessions) as db:
            faces.enrol(db, people[who], (faces_dir / rel).read_bytes(), "test")
    return device_caller(app, runtime, "hotel_desk", hotel_id=hotel_id), people


def show(desk: Caller, photo: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = desk.post(
        "/api/hotel/kiosk/identify",
        data={"image": (io.BytesIO(photo.read_bytes()), photo.name)},
        content_type="multipart/form-data",
    )
    return res.status_code, res.json


@pytest.mark.slow
def test_guest_is_recognised_by_a_new_photo_and_checked_in(
    lobby: tuple[Caller, dict[str, int]], faces_dir: Path
) -> None:
    desk, people = lobby
    status, found = show(desk, faces_dir / "probe/obama1.jpg")
    assert status == 200, found
    assert found["reservation"]["attendee_id"] == people["obama"]
    assert found["action"] == "check_in"
    res = desk.post("/api/hotel/kiosk/check-in", json={"ticket": found["ticket"]})
    assert res.status_code == 200 and res.json["room"]
    status, again = show(desk, faces_dir / "resolution/obama-480p.jpg")
    assert again["action"] == "check_out" and again["reservation"]["room"] == res.json["room"]


@pytest.mark.slow
def test_guest_of_another_hotel_is_not_matched_here_and_nothing_changes(
    lobby: tuple[Caller, dict[str, int]], faces_dir: Path, runtime: Runtime
) -> None:
    desk, _people = lobby
    with transaction(runtime.sessions) as db:
        before = snapshot(db)
    status, body = show(desk, faces_dir / "enroll/biden/biden2.jpg")
    assert (status, body["error"]) == (422, "face_not_recognised")
    status, body = show(desk, faces_dir / "group/two_people.jpg")
    assert (status, body["error"], body["decision"]) == (
        422,
        "face_not_recognised",
        "multiple_faces",
    )
    with transaction(runtime.sessions) as db:
        assert snapshot(db) == before
