"""Boarding by face through the real dlib face service, on the shared photos.

Obama is enrolled from one photo; the driver photographs him at the car with a different one.
Biden's photo for Obama's seat is refused and changes nothing.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from checkin.journey import timeline
from core.runtime import Runtime
from models import Trip, TripPassenger
from models.db import transaction
from recognition.face.api import face_service
from tests.conftest import device_caller
from tests.transport.helpers import NOW, SUMMIT, make_driver, make_leg, make_passengers
from transport.service import plan_pickups
from transport.trips import advance_trip

pytestmark = pytest.mark.slow


def photo(faces_dir: Path, rel: str) -> str:
    return base64.b64encode((faces_dir / rel).read_bytes()).decode()


def test_a_passenger_boards_by_a_fresh_photo_and_a_stranger_does_not(
    app: Flask,
    runtime: Runtime,
    faces_dir: Path,
) -> None:
    with transaction(runtime.sessions) as db:
        (obama,) = make_passengers(db, runtime.pii, 1, name="Barack Obama")
        make_leg(db, obama, SUMMIT)
        driver = make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        trip = db.scalar(select(Trip))
        advance_trip(db, driver.id, trip.id, "accept")
        advance_trip(db, driver.id, trip.id, "arrive")
    faces = face_service(runtime)
    faces.sync.refresh()
    with transaction(runtime.sessions) as db:
        faces.enrol(db, obama.id, (faces_dir / "enroll/obama/obama.jpg").read_bytes(), "test")
    phone = device_caller(app, runtime, "driver", "phone-1", driver_id=driver.id)
    url = f"/api/driver/trips/{trip.id}/board"
    wrong = phone.post(
        url,
        json={
            "attendee_id": obama.id,
            "method": "face",
            "photo": photo(faces_dir, "enroll/biden/biden.jpg"),
        },
    )
    assert (wrong.status_code, wrong.json["error"]) == (400, "face_mismatch")
    with runtime.sessions() as db:
        assert db.scalar(select(TripPassenger.state)) == "waiting"
    res = phone.post(
        url,
        json={
            "attendee_id": obama.id,
            "method": "face",
            "photo": photo(faces_dir, "enroll/obama/obama2.jpg"),
        },
    )
    assert res.status_code == 200, res.json
    assert res.json["passengers"][0]["confirmed_by"] == "face"
    with runtime.sessions() as db:
        assert [s["stage"] for s in timeline(db, obama.id)] == [
            "registered",
            "arrived",
            "picked_up",
        ]
    bad = phone.post(url, json={"attendee_id": obama.id, "method": "face", "photo": "%%%"})
    assert bad.json["error"] == "invalid_photo"
