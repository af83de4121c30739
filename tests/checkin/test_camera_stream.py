"""The Socket.IO camera stream: frames in, one decision out; QR codes in frames; liveness."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from PIL import Image
from sqlalchemy import select

from checkin.codes import issue_code
from checkin.portal import qr_data_url
from core.runtime import Runtime
from models import Alert, VenueCheckIn
from models.db import transaction
from tests.checkin.conftest import Venue
from tests.checkin.faces import enrol, jpeg, load_rgb
from tests.checkin.test_gate_rules import count
from tests.conftest import Caller
from web.extensions import socketio


def connect(app: Flask, caller: Caller) -> Any:
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    client = socketio.test_client(app, namespace="/live", auth={"token": token})
    assert client.is_connected("/live")
    return client


def send(client: Any, frames: list[bytes], gate_id: int | None = None) -> dict[str, Any]:
    """Send frames 0.25 s apart until one answers with a decision."""
    for i, frame in enumerate(frames):
        body: dict[str, Any] = {"image": frame, "t": 0.25 * i}
        if gate_id is not None:
            body["gate_id"] = gate_id
        ack = client.emit("gate_frame", body, namespace="/live", callback=True)
        if "decision" in ack or "error" in ack:
            return ack  # type: ignore[no-any-return]
    raise AssertionError("no decision after all frames")


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
    ack = send(client, jittered(load_rgb(faces_dir / "probe/obama1.jpg", 480), 8), venue.gate_in)
    assert ack["decision"]["reason"] == "checked_in" and ack["face"] == "match"
    assert ack["liveness"] == "not_required"
    pushed = [m for m in client.get_received("/live") if m["name"] == "gate_decision"]
    assert pushed and pushed[0]["args"][0]["decision"]["event_id"] == ack["decision"]["event_id"]
    assert count(runtime, VenueCheckIn) == 1


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
    frame = qr_frame(issue_code(runtime, venue.delegate))
    ack = send(client, [frame])
    assert (ack["decision"]["granted"], ack["decision"]["method"]) == (True, "code")
    again = client.emit("gate_frame", {"image": frame, "t": 9.0}, namespace="/live", callback=True)
    assert again == {"held": True}  # the person is walking through
    assert count(runtime, VenueCheckIn) == 1


def test_bad_frames_and_callers_get_error_codes(
    app: Flask, runtime: Runtime, venue: Venue, kiosk_device: Caller, gate_device: Caller
) -> None:
    kiosk = connect(app, kiosk_device)
    gate = connect(app, gate_device)
    assert (
        kiosk.emit("gate_frame", {"image": b"x" * 10, "t": 0}, namespace="/live", callback=True)[
            "error"
        ]
        == "gate_required"
    )
    bad = gate.emit(
        "gate_frame", {"image": b"not a jpeg at all", "t": 0}, namespace="/live", callback=True
    )
    assert bad["error"] == "invalid_image"
    other = gate.emit(
        "gate_frame",
        {"image": b"x", "t": 0, "gate_id": venue.gate_in2},
        namespace="/live",
        callback=True,
    )
    assert other["error"] == "wrong_gate"
    assert (
        gate.emit("gate_frame", {"t": 0}, namespace="/live", callback=True)["error"]
        == "validation_error"
    )
    assert count(runtime, VenueCheckIn) == 0


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
