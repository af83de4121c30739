"""Spoken questions over HTTP (`POST /api/speech/query`) and the kiosk microphone stream.

Trust: only kiosk devices and staff may ask, and only they may say which attendee is asking
(`attendee_id`): the kiosk sends it after its own face step recognised the person. The server
trusts an authenticated kiosk for that claim; see docs/speech.md.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import pydantic
from flask import Blueprint, Response, jsonify, request
from flask_socketio import SocketIO, emit

from checkin.speech_service import Asker, LiveQuery, answer_audio, request_help
from core.accounts import Principal
from core.clock import utcnow
from core.errors import SummitError
from recognition.speech.audio import decode_upload
from recognition.speech.errors import SpeechError
from recognition.speech.registry import engines_of
from web.api import documented, runtime, unit_of_work, validate
from web.auth import current, requires
from web.live import NAMESPACE, caller

bp = Blueprint("recognition_speech_routes", __name__)
ASKERS = ("admin", "staff", "kiosk")
RAW_TYPES = ("audio/l16", "audio/pcm")


class QueryParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")
    language: Literal["en", "zh", "ko"] = "en"
    attendee_id: int | None = pydantic.Field(default=None, ge=1)


def asker_for(principal: Principal, params: QueryParams) -> Asker:
    """Who asks; kiosks get their own room so a help request reaches that kiosk too."""
    room = f"kiosk:{principal.id}" if principal.kind == "device" else None
    return Asker(principal.actor, params.language, params.attendee_id, room)


def _upload() -> tuple[bytes, bool]:
    """The audio bytes and whether they are raw PCM (multipart field `audio`, or the body)."""
    if request.files:
        upload = request.files.get("audio")
        if upload is None:
            raise SpeechError("send the audio in the form field 'audio'", "audio_missing")
        return upload.read(), _declared_raw(upload.mimetype)
    return request.get_data(cache=False), _declared_raw(request.mimetype)


def _declared_raw(mimetype: str | None) -> bool:
    """Raw PCM only when the caller says so; anything else must be a WAV."""
    return (mimetype or "").lower() in RAW_TYPES or request.args.get("format") == "pcm"


@bp.post("/api/speech/query")
@requires(*ASKERS)
@documented(None, "Answer a spoken question: WAV (8-48 kHz) or raw 16 kHz PCM, up to 30 s.")
def query() -> Response:
    """Transcribe, match the intent and answer; personal only with a recognised attendee."""
    params = validate(QueryParams, {**request.args.to_dict(), **request.form.to_dict()})
    data, raw = _upload()
    pcm = decode_upload(data, raw=raw)
    asker = asker_for(current(), params)
    with unit_of_work() as db:
        result = answer_audio(db, engines_of(runtime()), pcm, asker, utcnow())
    return jsonify(result)


_live: dict[str, tuple[float, LiveQuery]] = {}
_live_lock = threading.Lock()
STALE_SECONDS = 60.0


def _error(exc: SummitError) -> dict[str, Any]:
    return {"error": exc.code, "message": exc.message}


def _start(data: Any) -> dict[str, Any]:
    principal = caller()
    if principal is None or principal.role not in ASKERS:
        return {"error": "forbidden", "message": "only kiosks and staff may ask"}
    params = validate(QueryParams, data if isinstance(data, dict) else {})
    with unit_of_work() as db:
        live = LiveQuery(db, engines_of(runtime()), asker_for(principal, params), utcnow())
    now = time.monotonic()
    with _live_lock:
        for sid in [s for s, (t, _) in _live.items() if now - t > STALE_SECONDS]:
            del _live[sid]
        _live[request.sid] = (now, live)  # type: ignore[attr-defined]
    return {"ok": True, "language": params.language}


def _finish(live: LiveQuery) -> None:
    with _live_lock:
        _live.pop(request.sid, None)  # type: ignore[attr-defined]
    with unit_of_work() as db:
        result = live.finish(db, utcnow())
    emit("speech_result", result)


def _audio(data: Any) -> None:
    with _live_lock:
        entry = _live.get(request.sid)  # type: ignore[attr-defined]
    if entry is None:
        raise SpeechError("send speech_start first", "no_stream")
    if not isinstance(data, bytes | bytearray):
        raise SpeechError("speech_audio carries binary 16 kHz PCM", "bad_pcm")
    partial, ended = entry[1].feed(bytes(data))
    emit("speech_partial", {"text": partial})
    if ended:
        _finish(entry[1])


def _stop(_data: Any = None) -> None:
    with _live_lock:
        entry = _live.get(request.sid)  # type: ignore[attr-defined]
    if entry is not None:
        _finish(entry[1])


def _help(data: Any) -> dict[str, Any]:
    principal = caller()
    if principal is None or principal.role not in ASKERS:
        return {"error": "forbidden", "message": "only kiosks and staff may ask"}
    params = validate(QueryParams, data if isinstance(data, dict) else {})
    with unit_of_work() as db:
        result = request_help(db, asker_for(principal, params), utcnow())
    emit("speech_result", result)
    return {"ok": True}


def _guarded(fn: Any) -> Any:
    """Errors of a stream go back to the kiosk as `speech_error`; the stream is dropped."""

    def handler(data: Any = None) -> Any:
        try:
            return fn(data)
        except SummitError as exc:
            with _live_lock:
                _live.pop(request.sid, None)  # type: ignore[attr-defined]
            emit("speech_error", _error(exc))
            return _error(exc)

    return handler


def register_socketio(socketio: SocketIO) -> None:
    """Microphone stream on /live: speech_start {language, attendee_id}, speech_audio, stop."""
    socketio.on_event("speech_start", _guarded(_start), namespace=NAMESPACE)
    socketio.on_event("speech_audio", _guarded(_audio), namespace=NAMESPACE)
    socketio.on_event("speech_stop", _guarded(_stop), namespace=NAMESPACE)
    socketio.on_event("speech_help", _guarded(_help), namespace=NAMESPACE)
