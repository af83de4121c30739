"""Template updates from a live capture after a verified code pass (recognition.face.update).

Real photos of ../shared/data/faces_ea (ko_KimJisoo: her first photo enrolled, her others
0.95-1.17 away, so the face alone misses her; one capture after a code pass brings the others
within the match threshold) and ../shared/data/faces, the real engine, the real gate camera
protocol with an entrance QR code in the frame.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from checkin.codes import issue_code
from checkin.portal import issue_portal_code, qr_data_url
from core.runtime import Runtime
from models import AuditEntry
from models.db import transaction
from models.face import FaceTemplate
from recognition.face import update
from recognition.face.api import face_service
from tests.checkin.conftest import build_venue
from tests.conftest import SHARED_FACES, Caller, device_caller
from tests.face.conftest import frame_640, jpeg, last_actor, new_attendee, rgb_of
from web.extensions import socketio

FACES_EA = SHARED_FACES.parent / "faces_ea"
JISOO = "people/ko_KimJisoo"


@pytest.fixture(scope="module")
def ea() -> Path:
    if not FACES_EA.exists():
        pytest.skip(f"{FACES_EA} is absent; these tests need the shared East Asian photos")
    return FACES_EA


@pytest.fixture
def updates_on(runtime: Runtime) -> Runtime:
    runtime.config.extra["FACE_TEMPLATE_UPDATES"] = "1"
    return runtime


def enrolled(rt: Runtime, ea: Path, photo: str = f"{JISOO}/1.jpg", **kw: Any) -> int:
    aid = new_attendee(rt, **kw)
    with transaction(rt.sessions) as db:
        out = face_service(rt).enrol(db, aid, (ea / photo).read_bytes(), "test")
    assert out["status"] == "enrolled", out
    return aid


def consent(rt: Runtime, aid: int, given: bool = True) -> int:
    with transaction(rt.sessions) as db:
        return update.set_update_consent(db, aid, given, "staff:test")


def identify(rt: Runtime, rgb: np.ndarray) -> tuple[str, int | None]:
    found = face_service(rt).identify_array(rgb)
    return found.decision, found.attendee_id


def templates(rt: Runtime, aid: int) -> list[tuple[str, str | None]]:
    with transaction(rt.sessions, read_only=True) as db:
        rows = db.scalars(
            select(FaceTemplate).where(FaceTemplate.attendee_id == aid).order_by(FaceTemplate.id)
        )
        return [(r.source, r.source_ref) for r in rows]


def actions(rt: Runtime) -> list[str]:
    with transaction(rt.sessions, read_only=True) as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_capture_after_a_code_pass_makes_her_other_photos_recognisable(
    updates_on: Runtime, ea: Path
) -> None:
    rt = updates_on
    aid = enrolled(rt, ea)
    consent(rt, aid)
    later = [rgb_of(ea, f"{JISOO}/{n}.jpg") for n in (3, 4, 5)]
    assert [identify(rt, rgb)[0] for rgb in later] == ["unknown"] * 3  # one photo is not enough
    outcome = update.offer_capture(rt, aid, frame_640(rgb_of(ea, f"{JISOO}/2.jpg")), "gate:7")
    assert outcome.status == "updated" and outcome.distance is not None
    assert face_service(rt).thresholds.distance < outcome.distance  # the face alone missed it
    assert templates(rt, aid) == [("enrolment", None), ("update", "gate:7")]
    assert [identify(rt, rgb) for rgb in later] == [("match", aid)] * 3
    assert "face_template_updated" in actions(rt)


def test_updates_are_off_unless_the_operator_and_the_attendee_both_agree(
    runtime: Runtime, ea: Path
) -> None:
    aid = enrolled(runtime, ea)
    capture = frame_640(rgb_of(ea, f"{JISOO}/2.jpg"))
    consent(runtime, aid)
    assert update.offer_capture(runtime, aid, capture, "gate:1").status == "off"
    runtime.config.extra["FACE_TEMPLATE_UPDATES"] = "1"
    consent(runtime, aid, False)
    assert update.offer_capture(runtime, aid, capture, "gate:1").status == "no_consent"
    assert templates(runtime, aid) == [("enrolment", None)]


def test_a_consent_to_updates_older_than_a_renewed_face_consent_does_not_count(
    updates_on: Runtime, ea: Path
) -> None:
    from checkin.registration import set_face_consent
    from models.attendee import Attendee

    aid = enrolled(updates_on, ea)
    consent(updates_on, aid)
    with transaction(updates_on.sessions) as db:
        attendee = db.get(Attendee, aid)
        assert attendee is not None
        set_face_consent(db, attendee, False, "test")  # deletes every template
        set_face_consent(db, attendee, True, "test")
    with transaction(updates_on.sessions, read_only=True) as db:
        assert update.consents(db, aid) is False


def test_another_persons_face_is_never_added_to_a_code_holder(
    updates_on: Runtime, ea: Path, photos: Path
) -> None:
    rt = updates_on
    jisoo = enrolled(rt, ea)
    consent(rt, jisoo)
    other = enrolled(rt, ea, "people/ko_JennieKim/1.jpg")
    # A stranger (not enrolled) shows Jisoo's code: too far from her templates.
    stranger = frame_640(rgb_of(photos, "enroll/obama/obama.jpg"))
    assert update.offer_capture(rt, jisoo, stranger, "gate:1").status == "too_far"
    # Another attendee's own face with Jisoo's code: refused either way, never stored.
    jennie = frame_640(rgb_of(ea, "people/ko_JennieKim/2.jpg"))
    assert update.offer_capture(rt, jisoo, jennie, "gate:1").status in (
        "too_far",
        "resembles_other",
    )
    assert templates(rt, jisoo) == [("enrolment", None)]
    assert templates(rt, other) == [("enrolment", None)]


def test_a_capture_with_two_faces_or_no_face_is_not_used(
    updates_on: Runtime, ea: Path, photos: Path
) -> None:
    aid = enrolled(updates_on, ea)
    consent(updates_on, aid)
    group = frame_640(rgb_of(photos, "group/obama_and_biden.jpg"))
    assert update.offer_capture(updates_on, aid, group, "gate:1").status == "multiple_faces"
    blank = np.full((480, 640, 3), 120, np.uint8)
    assert update.offer_capture(updates_on, aid, blank, "gate:1").status == "no_face"
    assert templates(updates_on, aid) == [("enrolment", None)]


def test_at_most_three_updates_are_kept_and_the_oldest_goes_first(
    updates_on: Runtime, ea: Path
) -> None:
    rt = updates_on
    aid = enrolled(rt, ea)
    consent(rt, aid)
    for n, gate in zip((2, 3, 9, 7), ("gate:1", "gate:2", "gate:3", "gate:4"), strict=True):
        out = update.offer_capture(rt, aid, frame_640(rgb_of(ea, f"{JISOO}/{n}.jpg")), gate)
        assert out.status == "updated", (n, out)
    assert templates(rt, aid) == [
        ("enrolment", None),
        ("update", "gate:2"),
        ("update", "gate:3"),
        ("update", "gate:4"),
    ]
    assert actions(rt).count("face_updates_removed") == 1
    svc = face_service(rt)
    svc.sync.refresh()
    assert len(svc.index) == 4  # the replaced template left this process's gallery too


def test_withdrawing_consent_removes_updates_but_keeps_the_enrolment(
    updates_on: Runtime, ea: Path, staff: Caller
) -> None:
    rt = updates_on
    aid = enrolled(rt, ea)
    res = staff.post(f"/api/attendees/{aid}/face-updates/consent", json={"consent": True})
    assert res.status_code == 200, res.json
    capture = frame_640(rgb_of(ea, f"{JISOO}/2.jpg"))
    assert update.offer_capture(rt, aid, capture, "gate:1").status == "updated"
    listed = staff.get(f"/api/attendees/{aid}/face-updates").json
    assert listed["consent"] is True and [u["source"] for u in listed["updates"]] == ["gate:1"]
    assert not {"vector", "cipher", "template"} & set(listed["updates"][0])
    later = rgb_of(ea, f"{JISOO}/4.jpg")
    assert identify(rt, later) == ("match", aid)
    res = staff.post(f"/api/attendees/{aid}/face-updates/consent", json={"consent": False})
    assert res.json["removed"] == 1
    assert templates(rt, aid) == [("enrolment", None)]
    assert identify(rt, later)[0] == "unknown"  # gone from the gallery at once
    assert update.offer_capture(rt, aid, capture, "gate:1").status == "no_consent"
    assert "face_update_consent_changed" in actions(rt)


def test_staff_remove_one_update_and_refuse_an_unknown_template(
    updates_on: Runtime, ea: Path, staff: Caller
) -> None:
    rt = updates_on
    aid = enrolled(rt, ea)
    consent(rt, aid)
    update.offer_capture(rt, aid, frame_640(rgb_of(ea, f"{JISOO}/2.jpg")), "gate:1")
    listed = staff.get(f"/api/attendees/{aid}/face-updates").json["updates"]
    bad = staff.delete(f"/api/attendees/{aid}/face-updates?template_id=999999")
    assert (bad.status_code, bad.json["error"]) == (404, "template_not_found")
    assert staff.delete(f"/api/attendees/{aid}/face-updates?template_id=x").status_code == 400
    res = staff.delete(f"/api/attendees/{aid}/face-updates?template_id={listed[0]['template_id']}")
    assert res.json["removed"] == 1 and templates(rt, aid) == [("enrolment", None)]


def test_the_attendee_controls_updates_from_their_phone(
    updates_on: Runtime, ea: Path, app: Flask
) -> None:
    rt = updates_on
    aid = enrolled(rt, ea)
    phone = app.test_client()
    assert (
        phone.post("/api/public/phone/face-updates/consent", json={"consent": True}).status_code
        == 401
    )
    with transaction(rt.sessions) as db:
        code = issue_portal_code(db, aid, "staff:test", 24)
    assert phone.post("/api/public/phone/login", json={"code": code}).status_code == 200
    assert (
        phone.post("/api/public/phone/face-updates/consent", json={"consent": True}).status_code
        == 200
    )
    update.offer_capture(rt, aid, frame_640(rgb_of(ea, f"{JISOO}/2.jpg")), "gate:1")
    mine = phone.get("/api/public/phone/face-updates").json
    assert mine["attendee_id"] == aid and len(mine["updates"]) == 1
    assert phone.delete("/api/public/phone/face-updates").json["removed"] == 1
    assert templates(rt, aid) == [("enrolment", None)]
    assert "attendee:" in last_actor(rt, "face_updates_removed")


def qr_and_face_frame(code: str, face: np.ndarray) -> bytes:
    """The delegate holds the phone's QR code up beside their face (640x480)."""
    png = base64.b64decode(qr_data_url(code).split(",", 1)[1])
    qr = Image.open(io.BytesIO(png)).convert("RGB").resize((260, 260))
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    person = Image.fromarray(face)
    person.thumbnail((330, 470))
    canvas.paste(person, (0, (480 - person.size[1]) // 2))
    canvas.paste(qr, (360, 110))
    return jpeg(np.asarray(canvas))


def qr_pass(rt: Runtime, app: Flask, ea: Path) -> tuple[int, int, dict[str, Any]]:
    """Jisoo (enrolled, consenting) shows her phone's QR code to hall gate A1's camera."""
    venue = build_venue(rt)
    aid = venue.delegate
    with transaction(rt.sessions) as db:
        face_service(rt).enrol(db, aid, (ea / f"{JISOO}/1.jpg").read_bytes(), "test")
    consent(rt, aid)
    gate = device_caller(app, rt, "gate", "gate-a1", gate_id=venue.gate_in)
    token = gate.headers["Authorization"].removeprefix("Bearer ")
    client = socketio.test_client(app, namespace="/live", auth={"token": token})
    image = qr_and_face_frame(issue_code(rt, aid), rgb_of(ea, f"{JISOO}/2.jpg"))
    ack = client.emit("camera_frame", {"image": image, "t": 0.0}, namespace="/live", callback=True)
    assert (ack["decision"]["granted"], ack["decision"]["method"]) == (True, "code"), ack
    return aid, venue.gate_in, ack


def test_a_qr_pass_at_a_gate_camera_updates_the_holders_templates(
    updates_on: Runtime, ea: Path, app: Flask
) -> None:
    aid, gate_id, _ack = qr_pass(updates_on, app, ea)
    assert templates(updates_on, aid) == [("enrolment", None), ("update", f"gate:{gate_id}")]
    assert identify(updates_on, rgb_of(ea, f"{JISOO}/5.jpg")) == ("match", aid)


def test_a_failing_update_does_not_cost_the_gate_its_answer(
    updates_on: Runtime, ea: Path, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("model crashed")

    monkeypatch.setattr(update, "prepare", broken)
    aid, _gate, ack = qr_pass(updates_on, app, ea)  # granted, answered
    assert ack["decision"]["event_id"] and ack["decision"]["reason"] != "error"
    assert templates(updates_on, aid) == [("enrolment", None)]


def test_an_engine_switch_re_encodes_an_update_as_an_update(
    updates_on: Runtime, ea: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recognition.face.api import FaceService
    from recognition.face.reencode import reencode

    rt = updates_on
    aid = enrolled(rt, ea)
    consent(rt, aid)
    assert (
        update.offer_capture(rt, aid, frame_640(rgb_of(ea, f"{JISOO}/2.jpg")), "gate:1").status
        == "updated"
    )
    monkeypatch.setenv("FACE_ENGINE", "dlib")
    svc = FaceService(rt, listen=False, progress=False)
    with transaction(rt.sessions) as db:
        assert reencode(svc, db, "test").written == 2
        rows = db.scalars(
            select(FaceTemplate).where(FaceTemplate.engine == "dlib").order_by(FaceTemplate.id)
        ).all()
        assert [(r.source, r.source_ref) for r in rows] == [
            ("enrolment", None),
            ("update", "gate:1"),
        ]
        assert [t.id for t in update.update_templates(db, aid, "dlib")] == [rows[1].id]


def test_a_capture_nearer_to_someone_else_than_to_the_holder_is_refused(
    updates_on: Runtime, ea: Path
) -> None:
    from recognition.face.engine import ENROL_JITTERS, LIVE
    from recognition.face.frame import analyse_frame
    from recognition.face.quality import ENROL_GATES
    from tests.face.conftest import seed_templates

    rt = updates_on
    jisoo = enrolled(rt, ea)
    consent(rt, jisoo)
    capture = frame_640(rgb_of(ea, f"{JISOO}/2.jpg"))
    analysis = analyse_frame(capture, "mobilefacenet", LIVE, "main", ENROL_JITTERS, ENROL_GATES)
    vec = analysis.faces[0].embedding
    assert vec is not None
    svc = face_service(rt)
    svc.sync.refresh()
    own = svc.index.search(vec, candidates=[jisoo])
    assert own is not None
    t = svc.thresholds
    # Someone whose template lies beyond a match but not the margin further than Jisoo's.
    d = max(t.distance + t.margin + 0.005, own.distance)
    assert d < own.distance + t.margin, "the real capture leaves no room for this case"
    cos = 1 - d * d / 2
    rng = np.random.default_rng(3)
    u = rng.standard_normal(vec.shape).astype(np.float32)
    u -= np.dot(u, vec) * vec
    u /= np.linalg.norm(u)
    near = (cos * vec + np.sqrt(1 - cos * cos) * u).astype(np.float32)
    seed_templates(rt, new_attendee(rt), [near])
    assert update.offer_capture(rt, jisoo, capture, "gate:1").status == "resembles_other"
    assert templates(rt, jisoo) == [("enrolment", None)]
