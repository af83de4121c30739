"""The one camera stream on "/live": frames in, one decision out; QR codes; liveness; candidates."""

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

from checkin import camera
from checkin.camera_presence import Presence
from checkin.codes import issue_code
from checkin.identification import read_ticket
from checkin.portal import qr_data_url
from core.clock import iso
from core.runtime import Runtime
from models import AccessEvent, Alert, VenueCheckIn
from models.db import transaction
from recognition.face.api import face_service
from recognition.face.engine import Face
from tests.checkin.conftest import Venue
from tests.checkin.faces import enrol, jpeg, load_rgb, nobody
from tests.checkin.test_gate_rules import count
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee
from web.extensions import socketio


def connect(app: Flask, caller: Caller) -> Any:
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    client = socketio.test_client(app, namespace="/live", auth={"token": token})
    assert client.is_connected("/live")
    return client


def frame(client: Any, image: bytes, t: float, **extra: Any) -> dict[str, Any]:
    body = {"image": image, "t": t, **extra}
    return client.emit("camera_frame", body, namespace="/live", callback=True)  # type: ignore[no-any-return]


def send(client: Any, frames: list[bytes], **extra: Any) -> dict[str, Any]:
    """Send frames 0.25 s apart until one answers with a decision (or an error)."""
    for i, image in enumerate(frames):
        ack = frame(client, image, 0.25 * i, **extra)
        if "decision" in ack or "error" in ack:
            return ack
        assert ack["pending"] is True, ack
    raise AssertionError("no decision after all frames")


def pushed(client: Any, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received("/live") if m["name"] == name]


def jittered(rgb: np.ndarray, n: int) -> list[bytes]:
    """A camera's frames of a still scene differ by sensor noise."""
    rng = np.random.default_rng(0)
    return [
        jpeg(
            np.clip(rgb.astype(np.int16) + rng.integers(-3, 4, rgb.shape), 0, 255).astype(np.uint8)
        )
        for _ in range(n)
    ]


def test_a_kiosk_stream_of_an_enrolled_face_checks_them_in(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    client = connect(app, kiosk_device)
    ack = send(client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8))
    assert ack["decision"]["reason"] == "checked_in" and ack["face"] == "match"
    assert ack["liveness"] == "not_required"
    decisions = pushed(client, "gate_decision")
    assert decisions and decisions[0]["decision"]["event_id"] == ack["decision"]["event_id"]
    assert count(runtime, VenueCheckIn) == 1


def test_real_video_is_identified_only_once_several_frames_agree(
    app: Flask, runtime: Runtime, kiosk_device: Caller, faces_dir: Path
) -> None:
    from tests.face.test_stream import video_frames

    with transaction(runtime.sessions) as db:
        lin = make_attendee(db, runtime.pii, name="Lin Miranda").id
    enrol(runtime, lin, faces_dir / "enroll/lin_manuel_miranda/lin-manuel-miranda.png")
    client = connect(app, kiosk_device)
    acks = [
        frame(client, jpeg(rgb), i / 10, purpose="assistant")
        for i, rgb in enumerate(video_frames(faces_dir, 145, 185))
    ]
    decided = [a for a in acks if "decision" in a]
    assert decided, acks[-1]
    first = acks.index(decided[0])
    assert first >= 2 and all(a == {"pending": True, "challenge": None} for a in acks[:first])
    ack = decided[0]
    assert (ack["decision"], ack["reason"], ack["liveness"]) == ("match", None, "not_required")
    assert ack["attendee"]["id"] == lin and ack["attendee"]["name"] == "L*** Miranda"
    assert "attendee_id" not in ack and ack["ticket_seconds"] > 0
    ticket = read_ticket(runtime, ack["ticket"], kiosk_device.principal_id, ["assistant"])
    assert ticket.attendee_id == lin
    assert pushed(client, "camera_identified")[0]["ticket"] == ack["ticket"]
    assert count(runtime, VenueCheckIn) == 0  # the assistant only recognises; nobody passes


def test_a_liveness_kiosk_asks_for_a_head_turn_and_refuses_a_held_photo(
    app: Flask, runtime: Runtime, venue: Venue, live_kiosk: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    client = connect(app, live_kiosk)
    frames = jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 40)
    first = frame(client, frames[0], 0.0)
    assert first["pending"] and first["challenge"] in ("turn_left", "turn_right")
    ack = send(client, frames[1:])
    assert (ack["decision"]["granted"], ack["decision"]["reason"]) == (False, "liveness_failed")
    assert (ack["face"], ack["liveness"]) == ("spoof_suspected", "failed")
    assert count(runtime, VenueCheckIn) == 0


def test_a_photo_held_to_a_gate_camera_fails_liveness_and_alerts_security(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    client = connect(app, gate_device)
    still = jpeg(load_rgb(faces_dir / "probe/obama1.jpg", 480))
    ack = send(client, [still] * 40)
    assert (ack["decision"]["granted"], ack["decision"]["reason"]) == (False, "liveness_failed")
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(Alert.kind)) == "liveness_failed"
    assert count(runtime, VenueCheckIn) == 0


def qr_frame(code: str) -> bytes:
    """A phone screen with the QR code, seen by the camera on a grey background."""
    png = base64.b64decode(qr_data_url(code).split(",", 1)[1])
    qr = Image.open(io.BytesIO(png)).convert("RGB").resize((300, 300))
    frame = Image.new("RGB", (640, 480), (120, 120, 120))
    frame.paste(qr, (170, 90))
    return jpeg(np.asarray(frame))


def test_an_entrance_qr_code_in_a_frame_is_a_code_pass(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    client = connect(app, gate_device)
    image = qr_frame(issue_code(runtime, venue.delegate))
    ack = send(client, [image])
    assert (ack["decision"]["granted"], ack["decision"]["method"]) == (True, "code")
    assert frame(client, image, 9.0) == {"held": True}  # the person is walking through
    assert count(runtime, VenueCheckIn) == 1


def test_a_typed_code_is_decided_like_a_scanned_one(
    app: Flask, runtime: Runtime, venue: Venue, live_kiosk: Caller
) -> None:
    client = connect(app, live_kiosk)
    body = {"code": issue_code(runtime, venue.delegate), "nonce": "typed-code-0001"}
    ack = client.emit("camera_code", body, namespace="/live", callback=True)
    assert (ack["decision"]["granted"], ack["face"], ack["liveness"]) == (True, None, None)
    assert pushed(client, "gate_decision") == [ack]
    again = client.emit("camera_code", body, namespace="/live", callback=True)
    assert again["decision"]["event_id"] == ack["decision"]["event_id"]  # same nonce, same pass
    assert count(runtime, VenueCheckIn) == 1


def test_bad_frames_get_error_codes_and_store_nothing(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    gate = connect(app, gate_device)
    assert frame(gate, b"not a jpeg at all", 0)["error"] == "invalid_image"
    assert frame(gate, b"", 0)["error"] == "invalid_image"
    assert frame(gate, "%%%", 0)["error"] == "invalid_image"
    assert frame(gate, b"x", 0, gate_id=venue.gate_in2)["error"] == "wrong_gate"
    assert frame(gate, b"x", 0, purpose="boarding")["error"] == "validation_error"
    no_image = gate.emit("camera_frame", {"t": 0}, namespace="/live", callback=True)
    assert no_image["error"] == "validation_error"
    late = gate.emit("camera_frame", {"image": b"x", "t": "soon"}, namespace="/live", callback=True)
    assert late["error"] == "validation_error"
    assert count(runtime, VenueCheckIn) == 0


def test_a_hotel_camera_gives_a_ticket_only_to_a_guest_expected_there(
    app: Flask, runtime: Runtime, faces_dir: Path
) -> None:
    from tests.hotel.helpers import make_hotel, make_stay

    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "CAM")
        guest = make_attendee(db, runtime.pii, name="Barack Guest").id
        walk_in = make_attendee(db, runtime.pii, name="Kit Visitor").id
        make_stay(db, guest, hotel)
        hotel_id = hotel.id
    enrol(runtime, guest, faces_dir / "enroll/obama/obama.jpg")
    enrol(runtime, walk_in, faces_dir / "enroll/kit_harington/john1.jpeg")
    desk = device_caller(app, runtime, "hotel_desk", "lobby-cam", hotel_id=hotel_id, liveness=False)
    runtime.config = runtime.config.with_changes(
        extra={**runtime.config.extra, "GATE_HOLD_SECONDS": "0"}  # the next guest steps up
    )
    client = connect(app, desk)
    stranger = jittered(load_rgb(faces_dir / "probe/kit_harington_johnsnow.jpg", 480), 12)
    refused = send(client, stranger, purpose="hotel")
    assert (refused["decision"], refused["reason"], refused["ticket"]) == (
        "unknown",
        "face_unknown",
        None,
    )
    client.emit("camera_stop", namespace="/live", callback=True)  # the page stops after an answer
    found = send(
        client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8), purpose="hotel"
    )
    assert found["decision"] == "match" and found["attendee"]["id"] == guest
    ticket = read_ticket(runtime, found["ticket"], desk.principal_id, ["hotel"])
    assert (ticket.attendee_id, ticket.purpose) == (guest, "hotel")
    assert [a["decision"] for a in pushed(client, "camera_identified")] == ["unknown", "match"]


def test_a_person_enrolled_after_the_camera_connected_is_recognised_without_reconnecting(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    client = connect(app, kiosk_device)
    assert frame(client, nobody(), 0.0)["pending"]  # the camera has read its candidates
    with transaction(runtime.sessions) as db:
        newcomer = make_attendee(db, runtime.pii, name="Kit Newcomer", category="delegate").id
    svc = face_service(runtime)
    with transaction(runtime.sessions) as db:  # publishes face_enrolled on commit
        svc.enrol(db, newcomer, (faces_dir / "enroll/kit_harington/john1.jpeg").read_bytes(), "t")
    probe = load_rgb(faces_dir / "probe/kit_harington_johnsnow.jpg", 480)
    ack = send(client, jittered(probe, 12))
    assert (ack["decision"]["granted"], ack["decision"]["reason"]) == (True, "checked_in")
    assert ack["decision"]["attendee"]["id"] == newcomer


def test_stop_and_disconnect_free_the_connections_camera(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, gate_device: Caller
) -> None:
    before = camera.active()
    kiosk, gate = connect(app, kiosk_device), connect(app, gate_device)
    assert frame(kiosk, nobody(), 0.0)["pending"] and frame(gate, nobody(1), 0.0)["pending"]
    assert camera.active() == before + 2
    assert kiosk.emit("camera_stop", namespace="/live", callback=True) == {"ok": True}
    assert camera.active() == before + 1
    gate.disconnect(namespace="/live")
    assert camera.active() == before


def test_a_silent_connections_camera_expires_when_another_camera_opens(
    app: Flask,
    venue: Venue,
    kiosk_device: Caller,
    gate_device: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kiosk, gate = connect(app, kiosk_device), connect(app, gate_device)
    assert frame(kiosk, nobody(), 0.0)["pending"]
    monkeypatch.setattr(camera, "IDLE", 0.0)
    assert frame(gate, nobody(1), 0.0)["pending"]
    assert camera.active() == 1  # the kiosk's camera went idle and was dropped


def test_the_staff_console_receives_passes_and_denials_live(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller, staff: Caller
) -> None:
    from tests.checkin.test_gate_rules import scan

    console = socketio.test_client(app, namespace="/live", flask_test_client=staff.client)
    console.get_received("/live")
    scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    scan(gate_device, venue.gate_in, issue_code(runtime, venue.visitor))
    events = [m["args"][0] for m in console.get_received("/live") if m["name"] == "event"]
    gate_events = [
        (e["event"], e["data"]["reason"]) for e in events if e["event"].startswith("gate_")
    ]
    assert gate_events == [("gate_passed", "checked_in"), ("gate_denied", "category_not_allowed")]
    passed = next(e["data"] for e in events if e["event"] == "gate_passed")
    assert passed["attendee"]["name"] == "张*三" and passed["zone"] == "main_hall"
    assert "张小三" not in str(events)  # only masked names leave the server


def hold_off(runtime: Runtime) -> None:
    """No walking-on pause after a decision: every later frame is looked at."""
    runtime.config = runtime.config.with_changes(
        extra={**runtime.config.extra, "GATE_HOLD_SECONDS": "0"}
    )


def test_a_delegate_who_stays_in_front_of_the_camera_is_decided_once(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    hold_off(runtime)
    client = connect(app, kiosk_device)
    frames = jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 30)
    ack = send(client, frames[:8])
    assert ack["decision"]["reason"] == "checked_in"
    later = [frame(client, image, 2.0 + 0.25 * i) for i, image in enumerate(frames[8:])]
    assert later == [{"held": True}] * len(later)  # never "already inside" a moment later
    assert count(runtime, AccessEvent) == 1
    assert len(pushed(client, "gate_decision")) == 1


def test_after_the_person_leaves_the_next_one_is_decided_and_a_repeat_is_not_recorded(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from checkin import camera_presence

    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    hold_off(runtime)
    monkeypatch.setattr(camera_presence, "LOST_SECONDS", 0.0)
    client = connect(app, kiosk_device)
    stranger = jittered(load_rgb(faces_dir / "probe/kit_harington_johnsnow.jpg", 480), 12)
    first = send(client, stranger)
    assert first["decision"]["reason"] == "face_unknown"
    assert [frame(client, nobody(i), 4.0) for i in range(2)] == [{"held": True}] * 2
    assert frame(client, nobody(5), 4.5) == {"pending": True, "challenge": None}  # gone
    again = send(client, stranger)  # the same stranger steps up again at once
    assert again["repeat"] is True and again["decision"] == first["decision"]
    assert count(runtime, AccessEvent) == 1
    for i in range(3):
        frame(client, nobody(i), 9.0)
    obama = send(client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8))
    assert (obama["decision"]["reason"], obama.get("repeat")) == ("checked_in", None)
    assert count(runtime, AccessEvent) == 2


def test_a_held_photo_makes_one_denial_and_one_alert_however_long_it_is_held(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    hold_off(runtime)
    client = connect(app, gate_device)
    still = jpeg(load_rgb(faces_dir / "probe/obama1.jpg", 480))
    ack = send(client, [still] * 40)
    assert ack["decision"]["reason"] == "liveness_failed"
    later = [frame(client, still, 20.0 + 0.25 * i) for i in range(30)]
    assert later == [{"held": True}] * 30
    assert (count(runtime, AccessEvent), count(runtime, Alert)) == (1, 1)


def test_a_typed_code_answer_is_not_followed_by_a_camera_decision_for_the_same_person(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, faces_dir: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    hold_off(runtime)
    client = connect(app, kiosk_device)
    body = {"code": issue_code(runtime, venue.vip_guest), "nonce": "typed-code-0002"}
    typed = client.emit("camera_code", body, namespace="/live", callback=True)
    assert typed["decision"]["reason"] == "checked_in"
    face = jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 12)
    assert [frame(client, image, 0.25 * i) for i, image in enumerate(face)] == [{"held": True}] * 12
    assert count(runtime, AccessEvent) == 1


def test_before_a_zone_opens_an_enrolled_person_is_told_when_it_opens(
    app: Flask, runtime: Runtime, venue: Venue, faces_dir: Path
) -> None:
    from models import Attendee, ZoneRule

    with transaction(runtime.sessions) as db:
        db.get(Attendee, venue.vip_guest).category = "speaker"  # type: ignore[union-attr]
        opens = db.scalar(select(ZoneRule.starts_at).where(ZoneRule.categories == "speaker"))
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    lounge = device_caller(app, runtime, "kiosk", "kiosk-vip", gate_id=venue.vip_in, liveness=False)
    client = connect(app, lounge)
    ack = send(client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8))
    assert (ack["decision"]["reason"], ack["face"]) == ("outside_hours", "match")
    assert ack["opens_at"] == iso(opens)


def test_a_hotel_camera_tells_a_guest_of_another_hotel_which_hotel(
    app: Flask, runtime: Runtime, faces_dir: Path
) -> None:
    from tests.hotel.helpers import make_hotel, make_stay

    with transaction(runtime.sessions) as db:
        here, there = make_hotel(db, "HERE"), make_hotel(db, "THERE")
        guest = make_attendee(db, runtime.pii, name="Barack Elsewhere").id
        make_stay(db, guest, there)
        here_id = here.id
    enrol(runtime, guest, faces_dir / "enroll/obama/obama.jpg")
    desk = device_caller(app, runtime, "hotel_desk", "lobby-2", hotel_id=here_id, liveness=False)
    client = connect(app, desk)
    found = send(
        client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8), purpose="hotel"
    )
    assert found["decision"] == "match" and found["attendee"]["id"] == guest  # not "unknown"
    refused = desk.post("/api/hotel/kiosk/identify", json={"ticket": found["ticket"]})
    assert (refused.status_code, refused.json["error"], refused.json["hotel"]) == (
        409,
        "wrong_hotel",
        "THERE",
    )


def test_a_full_pool_after_a_recorded_decision_does_not_replace_its_answer() -> None:
    """The decided person's face is looked up after the pass was stored; if the recognition
    pool is full then, the device still gets the decision (the presence adopts the face later)."""
    from types import SimpleNamespace

    import numpy as np

    from checkin.events import _main_face
    from recognition.workers import Busy

    def full(*_args: object) -> None:
        raise Busy(retry_after=1)

    engine = SimpleNamespace(detect=full)
    cam = SimpleNamespace(stream=SimpleNamespace(service=SimpleNamespace(engine=engine)))
    assert _main_face(cam, np.zeros((48, 64, 3), np.uint8)) is None  # type: ignore[arg-type]


def test_a_followed_person_is_searched_for_around_their_face() -> None:
    """Held frames search around the decided face (the detector falls back to the whole frame
    when nothing is there); with no face to follow, the whole frame."""
    presence = Presence(started=0.0)
    assert presence.search().near is None
    presence.face = Face(box=(100, 100, 200, 200), landmarks=np.zeros((68, 2), np.float32), score=1)
    assert presence.search().near == (25, 25, 275, 275)  # grown by REACH = 0.75 widths
