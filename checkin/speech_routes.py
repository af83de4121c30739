"""Spoken questions over HTTP (`POST /api/speech/query`) and the kiosk microphone stream.

Trust: only kiosk devices and staff may ask. A device never says which attendee is asking; it
shows an identification `ticket` (from an entrance code or its camera) that the server issued to
that same device, and the attendee is read from the ticket. `attendee_id` is refused as an
unknown field so an old client fails loudly instead of silently losing personal answers; see
docs/speech.md.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

import pydantic
from flask import Blueprint, Response, jsonify, request
from flask_socketio import SocketIO, emit

from checkin.speech_service import (
    Asker,
    LiveQuery,
    answer_audio,
    answer_chosen,
    answer_text,
    identify_asker,
    request_help,
)
from core.accounts import Principal
from core.clock import utcnow
from core.errors import SummitError
from recognition.speech.audio import decode_upload
from recognition.speech.catalogue import LANGUAGES
from recognition.speech.errors import SpeechError
from recognition.speech.registry import engines_of
from recognition.workers import refuse_if_full, speech_pool_of
from web.api import documented, runtime, unit_of_work, validate
from web.auth import current, requires
from web.live import NAMESPACE, caller
from web.ratelimit import limit

log = logging.getLogger(__name__)
bp = Blueprint("recognition_speech_routes", __name__)
ASKERS = ("admin", "staff", "kiosk")
RAW_TYPES = ("audio/l16", "audio/pcm")


class AskParams(pydantic.BaseModel):
    """`speech_start` and `speech_help` payloads: the language and an optional ticket."""

    model_config = pydantic.ConfigDict(extra="forbid")
    language: Literal["en", "zh", "ko"] = "en"
    ticket: str | None = pydantic.Field(default=None, max_length=400)


class QueryParams(AskParams):
    """`POST /api/speech/query` parameters (query string or form fields)."""

    format: Literal["pcm", "wav"] | None = None


def asker_for(principal: Principal, params: AskParams) -> Asker:
    """Who asks, with the attendee only from a ticket this device was issued."""
    return identify_asker(runtime(), principal, params.language, params.ticket)


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
@limit("speech_query", per_minute=60)
@documented(None, "Answer a spoken question: WAV (8-48 kHz) or raw 16 kHz PCM, up to 30 s.")
def query() -> Response:
    """Transcribe, match the intent and answer; personal only with an identification ticket."""
    params = validate(QueryParams, {**request.args.to_dict(), **request.form.to_dict()})
    asker = asker_for(current(), params)  # a bad ticket is refused before any audio work
    refuse_if_full(speech_pool_of(runtime()))  # so is a full speech pool
    data, raw = _upload()
    pcm = decode_upload(data, raw=raw)
    return jsonify(answer_audio(runtime(), pcm, asker, utcnow()))


class AskBody(AskParams):
    """`POST /api/speech/ask`: a typed `text`, or an `intent` tapped (with its `slots`)."""

    text: str | None = pydantic.Field(default=None, min_length=1, max_length=300)
    intent: str | None = pydantic.Field(default=None, max_length=40)
    slots: dict[str, str | int] = pydantic.Field(default_factory=dict, max_length=4)

    @pydantic.model_validator(mode="after")
    def one_question(self) -> AskBody:
        if (self.text is None) == (self.intent is None):
            raise ValueError("send either text (a typed question) or intent (a tapped one)")
        return self


@bp.post("/api/speech/ask")
@requires(*ASKERS)
@limit("speech_ask", per_minute=120)
@documented(AskBody, "Answer a typed question (any language) or a tapped common question.")
def ask() -> Response:
    """Same answer as a spoken question, without audio; personal only with a ticket."""
    body = validate(AskBody, request.get_json(silent=True))
    asker = asker_for(current(), body)
    with unit_of_work() as db:
        if body.text is not None:
            result = answer_text(db, body.text, asker, utcnow())
        else:
            result = answer_chosen(db, str(body.intent), dict(body.slots), asker, utcnow())
    return jsonify(result)


@bp.get("/api/speech/languages")
@requires(*ASKERS)
@documented(None, "Languages with a speech model (microphone) and for typed questions.")
def languages() -> Response:
    """The kiosk page offers the microphone only where a model is installed."""
    return jsonify({"spoken": engines_of(runtime()).spoken_languages(), "typed": list(LANGUAGES)})


_live: dict[str, tuple[float, LiveQuery]] = {}
_live_lock = threading.Lock()
STALE_SECONDS = 60.0


def _error(exc: SummitError) -> dict[str, Any]:
    return {"error": exc.code, "message": exc.message}


def _start(data: Any) -> dict[str, Any]:
    principal = caller()
    if principal is None or principal.role not in ASKERS:
        return {"error": "forbidden", "message": "only kiosks and staff may ask"}
    params = validate(AskParams, data if isinstance(data, dict) else {})
    asker = asker_for(principal, params)
    with unit_of_work(read_only=True) as db:
        live = LiveQuery(db, engines_of(runtime()), asker, utcnow())
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
    params = validate(AskParams, data if isinstance(data, dict) else {})
    asker = asker_for(principal, params)
    with unit_of_work() as db:
        result = request_help(db, asker, utcnow())
    emit("speech_result", result)
    return {"ok": True}


def _guarded(fn: Any) -> Any:
    """Errors of a stream go back to the kiosk as `speech_error`; the stream is dropped. A
    failure of the server itself is logged and told as `internal_error` (as the HTTP API's 500
    answer is), so the page shows that it cannot answer instead of waiting for a result."""

    def handler(data: Any = None) -> Any:
        try:
            return fn(data)
        except SummitError as exc:
            return _drop(_error(exc))
        except Exception:
            log.exception("the %s handler of a speech stream failed", fn.__name__.strip("_"))
            return _drop(
                {"error": "internal_error", "message": "the server failed; the error was logged"}
            )

    return handler


def _drop(error: dict[str, Any]) -> dict[str, Any]:
    """Forget the caller's stream and send it `error`."""
    with _live_lock:
        _live.pop(request.sid, None)  # type: ignore[attr-defined]
    emit("speech_error", error)
    return error


def register_socketio(socketio: SocketIO) -> None:
    """Microphone stream on /live: speech_start {language, ticket?}, speech_audio, stop, help."""
    socketio.on_event("speech_start", _guarded(_start), namespace=NAMESPACE)
    socketio.on_event("speech_audio", _guarded(_audio), namespace=NAMESPACE)
    socketio.on_event("speech_stop", _guarded(_stop), namespace=NAMESPACE)
    socketio.on_event("speech_help", _guarded(_help), namespace=NAMESPACE)
