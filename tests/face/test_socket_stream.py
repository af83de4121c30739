"""The kiosk camera stream over Socket.IO ("/live"): frames in, one decision out."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from core.runtime import Runtime
from models.auth import Device
from models.db import transaction
from recognition.face.evaluation import Sample
from tests.conftest import Caller, device_caller
from tests.face.conftest import enrol_vectors, jpeg, new_attendee, seed_templates
from tests.face.test_stream import video_frames
from web.extensions import socketio


def connect(app: Flask, caller: Caller):  # type: ignore[no-untyped-def]
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    return socketio.test_client(app, namespace="/live", auth={"token": token})


def test_kiosk_streams_frames_and_gets_a_masked_decision(
    app: Flask, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    aid = new_attendee(runtime, name="Lin Miranda")
    seed_templates(runtime, aid, enrol_vectors(samples, "lin_manuel_miranda"))
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-cam")
    with transaction(runtime.sessions) as db:
        db.get(Device, kiosk.principal_id).liveness_required = False  # type: ignore[union-attr]
    sio = connect(app, kiosk)
    assert sio.emit("face_stream_start", {}, namespace="/live", callback=True)["liveness"] is False
    ack = None
    for i, frame in enumerate(video_frames(photos, 145, 185)):
        ack = sio.emit(
            "face_frame", {"image": jpeg(frame), "t": i / 10}, namespace="/live", callback=True
        )
        if ack.get("status") == "decided":
            break
    assert ack is not None and ack["decision"] == "match", ack
    assert ack["attendee"]["id"] == aid and ack["attendee"]["name"] == "L*** Miranda"
    assert "attendee_id" not in ack and ack["liveness"] == "not_required"
    pushed = [m for m in sio.get_received("/live") if m["name"] == "face_decision"]
    assert pushed and pushed[-1]["args"][0]["decision"] == "match"


def test_gate_streams_require_liveness_and_bad_frames_get_codes(
    app: Flask, runtime: Runtime
) -> None:
    gate = device_caller(app, runtime, "gate", "gate-cam")
    sio = connect(app, gate)
    assert (
        sio.emit("face_frame", {"image": b"x"}, namespace="/live", callback=True)["error"]
        == "no_stream"
    )
    start = sio.emit("face_stream_start", {"liveness": False}, namespace="/live", callback=True)
    assert start["liveness"] is True and start["challenge"] in ("turn_left", "turn_right")
    assert (
        sio.emit("face_frame", {"image": b""}, namespace="/live", callback=True)["error"]
        == "invalid_image"
    )
    ack = sio.emit("face_frame", {"image": "%%%"}, namespace="/live", callback=True)
    assert ack["error"] == "invalid_image"
    ack = sio.emit("face_frame", {"image": b"x", "t": "soon"}, namespace="/live", callback=True)
    assert ack["error"] == "validation_error"


def test_staff_cannot_open_a_camera_stream(app: Flask, staff: Caller) -> None:
    sio = socketio.test_client(app, namespace="/live", flask_test_client=staff.client)
    ack = sio.emit("face_stream_start", {}, namespace="/live", callback=True)
    assert ack["error"] == "forbidden"
