"""Socket.IO camera stream of kiosks and gates on "/live": frames in, gate decisions out.

A device sends `gate_frame {image: JPEG bytes or base64, t: seconds, gate_id?}` a few times a
second. Each frame is first read for an entrance QR code (zxing-cpp); otherwise it feeds the
device's face stream, which decides once several frames agree (and, where the device needs it,
after a blink). The decision goes back as `gate_decision`, and to the console as a domain event.
Frames that arrive while the device's previous frame is still being processed are dropped
(`{"dropped": true}`): a camera that sends faster than we decide only loses stale frames.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pydantic
from flask import Blueprint, request
from flask_socketio import SocketIO, emit

from checkin import gatepass
from checkin.codes import PREFIX
from checkin.errors import CheckInError
from checkin.routes import decode_image_b64
from core.accounts import Principal
from core.errors import Forbidden, SummitError, Unauthorized
from models.auth import Device
from web.api import runtime, unit_of_work, validate
from web.live import NAMESPACE, caller

bp = Blueprint("checkin_events", __name__)
HOLD_SECONDS = 2.0  # after a decision, frames are ignored while the person walks through
IDLE = 600.0  # seconds after which a silent device's stream state is dropped


class FrameBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    image: bytes | str
    t: float = pydantic.Field(ge=0, le=1e12)
    gate_id: int | None = pydantic.Field(default=None, ge=1, le=2**31)


class CodeBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    code: str = pydantic.Field(min_length=1, max_length=400)
    nonce: str = pydantic.Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")
    gate_id: int | None = pydantic.Field(default=None, ge=1, le=2**31)


@dataclass
class Camera:
    """One connected device's stream state."""

    gate_id: int
    device: gatepass.Device
    stream: Any
    busy: threading.Lock = field(default_factory=threading.Lock)
    hold_until: float = 0.0
    count: int = 0
    used: float = field(default_factory=time.monotonic)


_cameras: dict[str, Camera] = {}
_lock = threading.Lock()


def _principal() -> Principal:
    principal = caller()
    if principal is None or principal.role not in ("gate", "kiosk"):
        raise Unauthorized("only gate and kiosk devices send camera frames", "unauthenticated")
    return principal


def _gate_for(principal: Principal, asked: int | None) -> int:
    gate_id = principal.gate_id or asked
    if gate_id is None:
        raise CheckInError("a kiosk must say which gate it serves", "gate_required")
    if principal.gate_id is not None and asked not in (None, principal.gate_id):
        raise Forbidden("this device belongs to another gate", "wrong_gate")
    return gate_id


def _new_camera(principal: Principal, gate_id: int) -> Camera:
    from recognition.face.api import face_service

    rt = runtime()
    with unit_of_work() as db:
        row = db.get(Device, principal.id)
        liveness = bool(row.liveness_required) if row else True
    device = gatepass.Device(principal.actor, principal.id, liveness)
    candidates = gatepass.candidates_for_gate(rt, gate_id)
    return Camera(gate_id, device, face_service(rt).new_stream(liveness, candidates))


def _camera(principal: Principal, gate_id: int) -> Camera:
    sid = request.sid  # type: ignore[attr-defined]
    with _lock:
        cam = _cameras.get(sid)
    if cam is None or cam.gate_id != gate_id:
        cam = _new_camera(principal, gate_id)
        with _lock:
            # live.py owns "disconnect" on this namespace, so idle streams are dropped here.
            for old in [k for k, c in _cameras.items() if time.monotonic() - c.used > IDLE]:
                del _cameras[old]
            _cameras[sid] = cam
    cam.used = time.monotonic()
    return cam


def read_qr(rgb: np.ndarray) -> str | None:
    """The first summit entrance code visible in a frame, if any."""
    import zxingcpp

    grey = np.ascontiguousarray(rgb[:, :, 1])  # green is enough for black-on-white modules
    # No rotation/inversion passes: a QR code's finder patterns are found at any angle anyway.
    found_codes = zxingcpp.read_barcodes(
        grey,
        formats=zxingcpp.BarcodeFormat.QRCode,  # type: ignore[arg-type]  # one format is accepted
        try_rotate=False,
        try_invert=False,
    )
    for found in found_codes:
        if found.text.startswith(PREFIX):
            return str(found.text)
    return None


def _process(cam: Camera, image: bytes, t: float) -> dict[str, Any]:
    from recognition.face.images import decode_image

    rt = runtime()
    rgb = decode_image(image)
    code = read_qr(rgb)
    if code is not None:
        claim = gatepass.code_claim(rt, code)
        nonce = f"qr-{cam.device.device_id}-{claim.code_nonce or int(t * 1000)}"
        decision = gatepass.pass_by_stream(rt, cam.gate_id, nonce, claim, cam.device)
        return {"decision": decision.to_dict(), "face": None, "liveness": None}
    result = cam.stream.feed(rgb, t)
    if result is None:
        return {"pending": True}
    ident = result.identification
    claim = gatepass.face_claim(
        ident.decision, ident.attendee_id, result.liveness, f"frames={result.frames}"
    )
    cam.count += 1
    nonce = f"cam-{cam.device.device_id}-{request.sid}-{cam.count}"[:64]  # type: ignore[attr-defined]
    decision = gatepass.pass_by_stream(rt, cam.gate_id, nonce, claim, cam.device)
    return {"decision": decision.to_dict(), "face": ident.decision, "liveness": result.liveness}


def on_frame(data: Any) -> dict[str, Any]:
    """Handle one camera frame; answers pending, dropped, held, or a decision."""
    try:
        body = validate(FrameBody, data)
        principal = _principal()
        cam = _camera(principal, _gate_for(principal, body.gate_id))
        image = body.image if isinstance(body.image, bytes) else decode_image_b64(body.image)
        if time.monotonic() < cam.hold_until:
            return {"held": True}
        if not cam.busy.acquire(blocking=False):
            return {"dropped": True}
        try:
            out = _process(cam, image, body.t)
        finally:
            cam.busy.release()
    except SummitError as exc:
        return exc.to_dict()
    if "decision" in out:
        cam.hold_until = time.monotonic() + float(
            runtime().config.extra.get("GATE_HOLD_SECONDS", HOLD_SECONDS)
        )
        emit("gate_decision", out)
    return out


def _after_decision(cam: Camera) -> None:
    """Hold the camera while the person walks through; the next person gets fresh candidates."""
    from recognition.face.api import face_service

    rt = runtime()
    cam.hold_until = time.monotonic() + float(
        rt.config.extra.get("GATE_HOLD_SECONDS", HOLD_SECONDS)
    )
    candidates = gatepass.candidates_for_gate(rt, cam.gate_id)
    cam.stream = face_service(rt).new_stream(cam.device.liveness_required, candidates)


def on_code(data: Any) -> dict[str, Any]:
    """A typed or scanner-read entrance code from the page."""
    try:
        body = validate(CodeBody, data)
        principal = _principal()
        cam = _camera(principal, _gate_for(principal, body.gate_id))
        decision = gatepass.pass_by_code(runtime(), cam.gate_id, body.nonce, body.code, cam.device)
    except SummitError as exc:
        return exc.to_dict()
    out = {"decision": decision.to_dict(), "face": None, "liveness": None}
    emit("gate_decision", out)
    return out


def register_socketio(socketio: SocketIO) -> None:
    """Attach the camera handlers to the /live namespace."""
    socketio.on("gate_frame", namespace=NAMESPACE)(on_frame)
    socketio.on("gate_code", namespace=NAMESPACE)(on_code)
