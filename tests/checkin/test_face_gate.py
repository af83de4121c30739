"""Face passes with the real engine on real photos: each face outcome has its own reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from checkin.codes import issue_code
from core.runtime import Runtime
from models import AccessEvent, Alert, VenueCheckIn
from models.db import transaction
from tests.checkin.conftest import Venue, new_nonce
from tests.checkin.faces import b64, blurred, enrol, nobody
from tests.checkin.test_gate_rules import count
from tests.conftest import Caller


@pytest.fixture
def enrolled(runtime: Runtime, venue: Venue, faces_dir: Path) -> Venue:
    """The VIP guest is Obama (two photos); the delegate is Kit Harington (two photos)."""
    enrol(
        runtime,
        venue.vip_guest,
        faces_dir / "enroll/obama/obama.jpg",
        faces_dir / "enroll/obama/obama2.jpg",
    )
    enrol(
        runtime,
        venue.delegate,
        faces_dir / "enroll/kit_harington/john1.jpeg",
        faces_dir / "enroll/kit_harington/john2.jpeg",
    )
    return venue


def face_pass(caller: Caller, gate: int, image: bytes, **extra: Any) -> dict[str, Any]:
    body = {"method": "face", "image": b64(image), "nonce": new_nonce(), **extra}
    res = caller.post(f"/api/gates/{gate}/pass", json=body)
    assert res.status_code == 200, res.json
    return res.json  # type: ignore[no-any-return]


def test_an_enrolled_face_is_checked_in_with_a_masked_name(
    runtime: Runtime, enrolled: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    res = face_pass(kiosk_device, enrolled.gate_in, (faces_dir / "probe/obama1.jpg").read_bytes())
    assert (res["granted"], res["reason"], res["method"]) == (True, "checked_in", "face")
    assert res["attendee"] == {"id": enrolled.vip_guest, "name": "B***** Obama", "category": "vip"}
    with transaction(runtime.sessions) as db:
        note = db.scalar(select(AccessEvent.note))
        assert note is not None and note.startswith("distance=")


@pytest.mark.parametrize(
    ("photo", "reason"),
    [
        ("enroll/biden/biden.jpg", "face_unknown"),
        ("group/two_people.jpg", "multiple_faces"),
        ("nobody", "no_face"),
        ("blurred", "low_quality"),
    ],
)
def test_faces_that_cannot_be_named_are_refused_with_their_reason(
    runtime: Runtime,
    enrolled: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    photo: str,
    reason: str,
) -> None:
    images = {"nobody": nobody(), "blurred": blurred(faces_dir / "probe/obama1.jpg")}
    image = images.get(photo) or (faces_dir / photo).read_bytes()
    res = face_pass(kiosk_device, enrolled.gate_in, image)
    assert (res["granted"], res["reason"], res["attendee"]) == (False, reason, None)
    assert count(runtime, VenueCheckIn) == 0


def test_a_look_alike_makes_the_face_ambiguous_and_the_code_then_lets_the_right_one_in(
    runtime: Runtime, enrolled: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    # The delegate gets Obama's templates too (twins, as far as the camera can tell).
    from models import FaceTemplate
    from recognition.face import store
    from recognition.face.api import face_service

    svc = face_service(runtime)
    with transaction(runtime.sessions) as db:
        for _tid, owner, vector in list(store.iter_templates(db, runtime.templates)):
            if owner == enrolled.vip_guest:
                key_id, cipher = store.seal(runtime.templates, enrolled.delegate, vector)
                db.add(FaceTemplate(attendee_id=enrolled.delegate, key_id=key_id, cipher=cipher))
    svc.sync.load(progress=False)
    photo = (faces_dir / "probe/obama1.jpg").read_bytes()
    res = face_pass(kiosk_device, enrolled.gate_in, photo)
    assert (res["granted"], res["reason"]) == (False, "face_ambiguous")
    body = {
        "method": "code",
        "code": issue_code(runtime, enrolled.vip_guest),
        "image": b64(photo),
        "nonce": new_nonce(),
    }
    with_code = kiosk_device.post(f"/api/gates/{enrolled.gate_in}/pass", json=body).json
    assert (with_code["granted"], with_code["reason"]) == (True, "checked_in")
    assert with_code["attendee"]["id"] == enrolled.vip_guest


def test_a_code_shown_by_someone_else_is_a_face_mismatch_and_alerts_security(
    runtime: Runtime, enrolled: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    body = {
        "method": "code",
        "code": issue_code(runtime, enrolled.delegate),
        "image": b64((faces_dir / "probe/obama1.jpg").read_bytes()),
        "nonce": new_nonce(),
    }
    res = kiosk_device.post(f"/api/gates/{enrolled.gate_in}/pass", json=body).json
    assert (res["granted"], res["reason"]) == (False, "face_mismatch")
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(Alert.kind)) == "face_mismatch"
    assert count(runtime, VenueCheckIn) == 0


def test_a_gate_that_needs_liveness_refuses_a_single_photo(
    runtime: Runtime, enrolled: Venue, gate_device: Caller, faces_dir: Path
) -> None:
    res = face_pass(gate_device, enrolled.gate_in, (faces_dir / "probe/obama1.jpg").read_bytes())
    assert (res["granted"], res["reason"]) == (False, "liveness_required")
    assert count(runtime, VenueCheckIn) == 0


def test_faces_are_matched_only_against_people_allowed_in_the_zone(
    app: Flask, runtime: Runtime, enrolled: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, enrolled.visitor, faces_dir / "enroll/rose_leslie/img1.jpg")
    res = face_pass(
        kiosk_device, enrolled.gate_in, (faces_dir / "enroll/rose_leslie/img2.jpg").read_bytes()
    )
    # A visitor may not enter the hall, so their face is not even a candidate there.
    assert (res["granted"], res["reason"], res["attendee"]) == (False, "face_unknown", None)
