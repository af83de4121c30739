"""Face check-in by still photo at a staff-watched hotel desk, through the real dlib path.

Obama has a reservation at this hotel; Biden's is at another one. Each is enrolled from one
photo with the face service, then a different photo is shown to the desk. Only a desk whose
liveness check an admin turned off takes still photos (`test_kiosk_trust.py` shows the
default desk refusing them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from core.runtime import Runtime
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.hotel.conftest import FaceLobby, show
from tests.hotel.helpers import snapshot


@pytest.fixture
def watched_desk(app: Flask, runtime: Runtime, face_lobby: FaceLobby) -> Caller:
    return device_caller(
        app, runtime, "hotel_desk", "watched-desk", hotel_id=face_lobby.hotel_id, liveness=False
    )


@pytest.mark.slow
def test_guest_is_recognised_by_a_new_photo_and_checked_in(
    face_lobby: FaceLobby, watched_desk: Caller, faces_dir: Path
) -> None:
    status, found = show(watched_desk, faces_dir / "probe/obama1.jpg")
    assert status == 200, found
    assert found["reservation"]["attendee_id"] == face_lobby.people["obama"]
    assert found["action"] == "check_in"
    res = watched_desk.post("/api/hotel/kiosk/check-in", json={"ticket": found["ticket"]})
    assert res.status_code == 200 and res.json["room"]
    status, again = show(watched_desk, faces_dir / "resolution/obama-480p.jpg")
    assert again["action"] == "check_out" and again["reservation"]["room"] == res.json["room"]


@pytest.mark.slow
def test_guest_of_another_hotel_is_not_matched_here_and_nothing_changes(
    watched_desk: Caller, faces_dir: Path, runtime: Runtime
) -> None:
    # The photo is compared with this hotel's expected guests only, so Biden (a guest of
    # another hotel) is not recognised here, and the answer names no hotel.
    with transaction(runtime.sessions) as db:
        before = snapshot(db)
    status, body = show(watched_desk, faces_dir / "enroll/biden/biden2.jpg")
    assert (status, body["error"]) == (422, "face_not_recognised")
    status, body = show(watched_desk, faces_dir / "group/two_people.jpg")
    assert (status, body["error"], body["decision"]) == (
        422,
        "face_not_recognised",
        "multiple_faces",
    )
    with transaction(runtime.sessions) as db:
        assert snapshot(db) == before
