"""The one camera stream protocol on "/live": frames and codes in, decisions out.

Every page with a camera (venue gate and kiosk, hotel kiosk, assistant, journey view) sends

- `camera_frame {image: JPEG bytes or base64, t: seconds, purpose?, gate_id?}` a few times a
  second (`purpose`: gate (default), hotel, assistant or journey);
- `camera_code {code, nonce, purpose?, gate_id?}` for a typed or scanner-read entrance code;
- `camera_stop` when it stops looking (its state is freed; so it is on disconnect).

Each frame is first read for an entrance QR code (zxing-cpp); otherwise it feeds the
connection's face stream, which decides once several frames agree (and, where the device's
policy needs it, after a blink or head turn). Everything goes through `checkin.identification`:
the device's policy and place (a kiosk passes people only at the gate it is bound to), the
stream, the code. Purpose gate answers `gate_decision {decision, face, liveness}` (the pass is
recorded and reaches the console); other purposes answer `camera_identified` (see
`identification.answer`: masked attendee and a ticket the page redeems, e.g. at the hotel).
A pending frame answers `{pending, challenge}`; frames that arrive while the previous one is
still being processed are dropped (`{"dropped": true}`), and after a decision frames are held
(`{"held": true}`) while the person walks on.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
import pydantic
from flask import Blueprint, request
from flask_socketio import SocketIO, emit

from checkin import camera, gatepass
from checkin.camera import Camera
from checkin.codes import PREFIX
from checkin.identification import Identified, answer, from_stream, identify_code
from checkin.opening import opens_at
from checkin.routes import decode_image_b64
from checkin.service import load_gate
from core.accounts import Principal
from core.clock import iso, utcnow
from core.errors import SummitError, Unauthorized
from core.runtime import Runtime
from models.db import transaction
from recognition.face.engine import LIVE, Face, main_face
from recognition.face.images import decode_image
from recognition.face.update import offer_capture
from web.api import MAX_INT, runtime, validate
from web.live import NAMESPACE, caller, on_disconnect

bp = Blueprint("checkin_events", __name__)
HOLD_SECONDS = 2.0  # after a decision, frames are held while the person walks on
CameraPurpose = Literal["gate", "hotel", "assistant", "journey"]


class FrameBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    image: bytes | str
    t: float = pydantic.Field(ge=0, le=1e12)
    purpose: CameraPurpose = "gate"
    gate_id: int | None = pydantic.Field(default=None, ge=1, le=MAX_INT)


class CodeBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    code: str = pydantic.Field(min_length=1, max_length=400)
    nonce: str = pydantic.Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")
    purpose: CameraPurpose = "gate"
    gate_id: int | None = pydantic.Field(default=None, ge=1, le=MAX_INT)


def _sid() -> str:
    return str(request.sid)  # type: ignore[attr-defined]


def _principal() -> Principal:
    principal = caller()
    if principal is None:
        raise Unauthorized("connect with a device token first", "unauthenticated")
    return principal  # identification refuses staff and devices of the wrong kind


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


def _hold_seconds(rt: Runtime) -> float:
    return float(rt.config.extra.get("GATE_HOLD_SECONDS", HOLD_SECONDS))


def _outcome(rt: Runtime, cam: Camera, found: Identified, nonce: str, note: str) -> dict[str, Any]:
    """Record a gate's pass, or answer another purpose's identification."""
    if cam.purpose == "gate" and cam.gate_id is not None:
        claim = gatepass.claim_of(found, note)
        decision = gatepass.decide(rt, cam.policy, cam.gate_id, nonce, claim)
        face = found.identification.decision if found.identification else None
        liveness = found.liveness if found.method == "face" else None
        out = {"decision": decision.to_dict(), "face": face, "liveness": liveness}
        if decision.reason == "outside_hours":
            out["opens_at"] = _opens_at(rt, cam.gate_id, decision.attendee)
        camera.recorded(cam, found.attendee_id, found.failure, out)
        return out
    with transaction(rt.sessions, read_only=True) as session:
        return answer(session, found)


def _opens_at(rt: Runtime, gate_id: int, attendee: dict[str, Any] | None) -> str | None:
    """When the gate's zone next admits the attendee's category (ISO UTC), if it does later."""
    category = attendee.get("category") if attendee else None
    with transaction(rt.sessions, read_only=True) as session:
        zone = load_gate(session, gate_id)[1]
        return iso(opens_at(session, zone, category, utcnow()))


def _main_face(cam: Camera, rgb: np.ndarray) -> Face | None:
    """The decided person's face, for following them (None: the presence adopts the next one).

    Called after a decision was recorded: a full recognition pool (`busy`) must not replace the
    recorded decision's answer with an error, or the device never hears of a stored pass.
    """
    try:
        return main_face(cam.stream.service.engine.detect(rgb, LIVE))
    except SummitError:
        return None


def _process(rt: Runtime, cam: Camera, rgb: np.ndarray, t: float) -> dict[str, Any] | None:
    """One frame: a QR code decides at once; else the stream decides, or None while pending.

    While the person last decided for is still in view, nothing is decided (`{"held": true}`),
    unless a new entrance code is shown. A stream outcome that repeats the camera's last one
    (the same person, or nobody for the same reason) within `camera.REPEAT_SECONDS` answers
    that decision again (`"repeat": true`) instead of recording a new one.
    """
    code = read_qr(rgb)
    presence = cam.presence
    if presence is not None and (code is None or code == presence.code):
        faces = cam.stream.service.engine.detect(rgb, presence.search())
        if presence.sees(faces, code, time.monotonic()):
            return {"held": True}
        cam.presence = None  # the person left: the next one gets fresh candidates
        camera.refresh_if_stale(rt, cam)
    if code is not None:
        found = identify_code(rt, cam.policy, cam.purpose, code)
        nonce = f"qr-{cam.policy.device_id}-{found.code_nonce or int(t * 1000)}"[:64]
        out = _outcome(rt, cam, found, nonce, "")
        granted = out["decision"]["granted"]
        if cam.purpose == "gate" and found.attendee_id is not None and granted:
            # The frame that showed the code shows its holder: an update where allowed.
            offer_capture(rt, found.attendee_id, rgb, f"gate:{cam.gate_id}")
        return _finish(rt, cam, out, _main_face(cam, rgb), code)
    result = cam.stream.feed(rgb, t)
    if result is None:
        return None
    found = from_stream(rt, cam.policy, cam.purpose, result)
    last = cam.last
    if (
        cam.purpose == "gate"
        and last
        and last.same(found.attendee_id, found.failure, time.monotonic())
    ):
        camera.decided(cam, _hold_seconds(rt), _main_face(cam, rgb))
        return {**last.out, "repeat": True}
    nonce = f"cam-{cam.policy.device_id}-{_sid()}-{cam.decisions + 1}"[:64]
    out = _outcome(rt, cam, found, nonce, f"frames={result.frames}")
    return _finish(rt, cam, out, _main_face(cam, rgb))


def _finish(
    rt: Runtime, cam: Camera, out: dict[str, Any], face: Face | None, code: str | None = None
) -> dict[str, Any]:
    camera.decided(cam, _hold_seconds(rt), face, code)
    emit("gate_decision" if cam.purpose == "gate" else "camera_identified", out)
    return out


def on_frame(data: Any) -> dict[str, Any]:
    """Handle one camera frame; answers pending, dropped, held, or the outcome."""
    try:
        body = validate(FrameBody, data)
        rt = runtime()
        cam = camera.camera_for(rt, _sid(), _principal(), body.purpose, body.gate_id)
        image = body.image if isinstance(body.image, bytes) else decode_image_b64(body.image)
        if time.monotonic() < cam.hold_until:
            return {"held": True}
        if not cam.busy.acquire(blocking=False):
            return {"dropped": True}
        try:
            camera.refresh_if_stale(rt, cam)
            rgb = decode_image(
                image, max_bytes=rt.config.max_upload_bytes, max_pixels=rt.config.max_image_pixels
            )
            out = _process(rt, cam, rgb, body.t)
            if out is None:
                return {"pending": True, "challenge": cam.stream.challenge}
            return out
        finally:
            cam.busy.release()
    except SummitError as exc:
        return exc.to_dict()


def on_code(data: Any) -> dict[str, Any]:
    """A typed or scanner-read entrance code from the page.

    It is always decided (a code is a deliberate act), and starts a presence: the camera does
    not decide again for the person who typed it while they stay in view.
    """
    try:
        body = validate(CodeBody, data)
        rt = runtime()
        cam = camera.camera_for(rt, _sid(), _principal(), body.purpose, body.gate_id)
        with cam.busy:
            camera.refresh_if_stale(rt, cam)
            found = identify_code(rt, cam.policy, cam.purpose, body.code)
            out = _outcome(rt, cam, found, body.nonce, "")
            return _finish(rt, cam, out, None, body.code)
    except SummitError as exc:
        return exc.to_dict()


def on_stop(_data: Any = None) -> dict[str, Any]:
    """The page stopped looking: free this connection's camera."""
    camera.forget(_sid())
    return {"ok": True}


def register_socketio(socketio: SocketIO) -> None:
    """Attach the camera handlers to the /live namespace."""
    socketio.on("camera_frame", namespace=NAMESPACE)(on_frame)
    socketio.on("camera_code", namespace=NAMESPACE)(on_code)
    socketio.on("camera_stop", namespace=NAMESPACE)(on_stop)
    on_disconnect(camera.forget)
    camera.watch_candidates()
