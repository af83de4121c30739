"""Face HTTP and Socket.IO handlers: parse, check the caller, call one face service function.

HTTP: enrol (`POST /api/attendees/<id>/faces`), delete (`DELETE` same), identify
(`POST /api/recognition/identify`). Socket.IO on "/live": `face_stream_start`,
`face_frame` (binary JPEG/PNG frame; acknowledged with the decision once frames agree),
`face_stream_stop`; decisions are also emitted to the caller as `face_decision`.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from typing import Any

import pydantic
from flask import Blueprint, Response, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask_socketio import SocketIO, emit

from checkin import identification as context
from core.errors import Forbidden, SummitError, ValidationError
from recognition.face.api import FaceStream, face_service
from recognition.face.images import decode_image
from web.api import documented, runtime, unit_of_work, validate
from web.auth import STAFF, current, requires
from web.live import NAMESPACE, caller
from web.ratelimit import limit

bp = Blueprint("recognition_routes", __name__)


@bp.record_once
def _load_gallery_at_start(state: BlueprintSetupState) -> None:
    # A served app loads the models and decrypts the gallery right away (with a progress bar),
    # in the background, so the first kiosk request does not wait; tests build it lazily.
    rt = state.app.extensions["summit"]
    if not rt.config.testing:
        threading.Thread(target=face_service, args=(rt,), name="face-gallery", daemon=True).start()


IDENTIFY_DEVICES = ("kiosk", "gate", "hotel_desk", "airport_desk")
ACCEPTED_TYPES = ("image/", "application/octet-stream")


def _upload() -> bytes:
    """The bytes of the multipart field `image`, with clear codes for the wrong shapes."""
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise SummitError(
            "send the photo as multipart/form-data field 'image'", "unsupported_media_type", 415
        )
    part = request.files.get("image")
    if part is None:
        raise ValidationError("the multipart field 'image' is missing", "image_missing")
    if part.mimetype and not part.mimetype.startswith(ACCEPTED_TYPES):
        raise SummitError(f"{part.mimetype} is not an image type", "unsupported_media_type", 415)
    data: bytes = part.read()
    return data


@bp.post("/api/attendees/<int:attendee_id>/faces")
@requires(*STAFF, "registration")
@documented(None, "Enrol one face photo (multipart 'image'); needs the attendee's consent.")
def enrol_face(attendee_id: int) -> tuple[Response, int]:
    data = _upload()
    with unit_of_work() as db:
        result = face_service(runtime()).enrol(db, attendee_id, data, current().actor)
    return jsonify(result), 201


@bp.delete("/api/attendees/<int:attendee_id>/faces")
@requires(*STAFF)
@documented(None, "Delete every stored face template of one attendee.")
def delete_faces(attendee_id: int) -> Response:
    with unit_of_work() as db:
        deleted = face_service(runtime()).delete_faces(db, attendee_id, current().actor)
    return jsonify({"attendee_id": attendee_id, "deleted": deleted})


@bp.post("/api/recognition/identify")
@requires(*IDENTIFY_DEVICES)
@limit("identify", per_minute=120)
@documented(None, "Identify the face in a photo (multipart 'image'); masked attendee on match.")
def identify() -> Response:
    data = _upload()
    return jsonify(context.identify_upload(runtime(), current(), data))


class StreamStart(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    liveness: pydantic.StrictBool | None = None


_streams: dict[str, FaceStream] = {}
_lock = threading.Lock()


def _frame_bytes(data: Any) -> tuple[bytes, float]:
    image = data.get("image") if isinstance(data, dict) else data
    t = data.get("t") if isinstance(data, dict) else None
    if isinstance(image, str):  # a data URL or plain base64 from a browser canvas
        try:
            image = base64.b64decode(image.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError("image: not valid base64", "invalid_image") from exc
    if not isinstance(image, bytes | bytearray):
        raise ValidationError("send {image: <JPEG bytes>, t: <seconds>}", "validation_error")
    if t is not None and (isinstance(t, bool) or not isinstance(t, int | float)):
        raise ValidationError("t must be a number of seconds", "validation_error")
    return bytes(image), float(t) if t is not None else time.monotonic()


def _prune(socketio: SocketIO) -> None:
    """Forget streams of connections that are gone (live.py owns the disconnect handler)."""
    manager = socketio.server.manager
    with _lock:
        for sid in [s for s in _streams if not manager.is_connected(s, NAMESPACE)]:
            del _streams[sid]


def register_socketio(socketio: SocketIO) -> None:
    """Attach the camera-stream handlers to the "/live" namespace."""

    def _device() -> Any:
        principal = caller()
        if principal is None or principal.role not in IDENTIFY_DEVICES:
            raise Forbidden("only kiosk, gate and desk devices may stream faces", "forbidden")
        return principal

    @socketio.on("face_stream_start", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _start(data: Any = None) -> dict[str, Any]:
        try:
            body = validate(StreamStart, data or {})
            stream = context.open_stream(runtime(), _device(), body.liveness)
        except SummitError as exc:
            return exc.to_dict()
        _prune(socketio)
        with _lock:
            _streams[request.sid] = stream  # type: ignore[attr-defined]
        return {"ok": True, "liveness": stream.liveness, "challenge": stream.challenge}

    @socketio.on("face_frame", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _frame(data: Any = None) -> dict[str, Any]:
        with _lock:
            stream = _streams.get(request.sid)  # type: ignore[attr-defined]
        if stream is None:
            return {"error": "no_stream", "message": "send face_stream_start first"}
        try:
            image, t = _frame_bytes(data)
            rgb = decode_image(image, max_bytes=runtime().config.max_upload_bytes)
            decision = stream.feed(rgb, t)
        except SummitError as exc:
            return exc.to_dict()
        if decision is None:
            return {"status": "collecting", "challenge": stream.challenge}
        body = context.stream_answer(runtime(), decision)
        emit("face_decision", body)
        return {"status": "decided", **body}

    @socketio.on("face_stream_stop", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _stop(*_args: Any) -> dict[str, Any]:
        with _lock:
            _streams.pop(request.sid, None)  # type: ignore[attr-defined]
        return {"ok": True}
