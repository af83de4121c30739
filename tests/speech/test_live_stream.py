"""The kiosk microphone stream over Socket.IO (/live): partials, endpoint, answer, errors."""

from __future__ import annotations

import numpy as np
import pytest
from flask import Flask

from core.runtime import Runtime
from recognition.speech.synth import read_pcm
from tests.conftest import device_caller
from tests.speech.conftest import Summit, Voice, code_ticket
from web.extensions import socketio


def connect(app: Flask, runtime: Runtime, kind: str = "kiosk", name: str = "") -> object:
    caller = device_caller(app, runtime, kind, name=name or f"{kind}-live")
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    return socketio.test_client(app, namespace="/live", auth={"token": token})


def events(client: object, name: str) -> list[dict]:
    return [e["args"][0] for e in client.get_received("/live") if e["name"] == name]  # type: ignore[attr-defined]


def test_streamed_question_gets_partials_then_the_answer_at_the_pause(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="kiosk-live")
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    sio = socketio.test_client(app, namespace="/live", auth={"token": token})
    ack = sio.emit(
        "speech_start", {"language": "en", "ticket": ticket}, namespace="/live", callback=True
    )
    assert ack == {"ok": True, "language": "en"}
    audio = (
        read_pcm(say("where is my hotel", "en-gb+f3", 165)) + np.zeros(16000, dtype="<i2").tobytes()
    )
    received = []
    for i in range(0, len(audio), 3200):
        sio.emit("speech_audio", audio[i : i + 3200], namespace="/live")
        received += sio.get_received("/live")
    partials = [e["args"][0]["text"] for e in received if e["name"] == "speech_partial"]
    results = [e["args"][0] for e in received if e["name"] == "speech_result"]
    assert any(p.startswith("where") for p in partials)
    assert len(results) == 1
    assert results[0]["intent"] == "my_hotel" and "West Lake Hotel" in results[0]["answer"]["text"]
    assert results[0]["hall"]["loud"] is False  # the streamed audio is measured too


def test_stop_button_finishes_the_question_early(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    sio = connect(app, runtime)
    sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    sio.emit("speech_audio", read_pcm(say("what is the wifi password")), namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    (result,) = events(sio, "speech_result")
    assert result["intent"] == "wifi"


def test_audio_without_start_or_silence_gives_speech_errors(app: Flask, runtime: Runtime) -> None:
    sio = connect(app, runtime)
    sio.emit("speech_audio", b"\x00\x00" * 1600, namespace="/live")
    assert events(sio, "speech_error")[0]["error"] == "no_stream"
    sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    sio.emit("speech_audio", b"\x00\x00" * 16000, namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    assert events(sio, "speech_error")[0]["error"] == "no_speech"


def test_gate_devices_may_not_open_a_question(app: Flask, runtime: Runtime) -> None:
    sio = connect(app, runtime, "gate")
    ack = sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    assert ack["error"] == "forbidden"


def test_help_button_tells_the_console(app: Flask, runtime: Runtime, summit: Summit) -> None:
    kiosk = connect(app, runtime)
    other = connect(app, runtime, "kiosk", "kiosk-2")  # another kiosk must not hear it
    kiosk.emit("speech_help", {"language": "zh"}, namespace="/live", callback=True)
    received = kiosk.get_received("/live")  # type: ignore[attr-defined]
    (result,) = [e["args"][0] for e in received if e["name"] == "speech_result"]
    assert result["intent"] == "help" and "工作人员" in result["answer"]["text"]
    relayed = [e["args"][0] for e in received if e["name"] == "event"]
    assert [e["event"] for e in relayed] == ["assistant_help_requested"]
    assert not [e for e in events(other, "event") if e["event"] == "assistant_help_requested"]


def test_a_blip_of_noise_on_the_microphone_is_heard_as_no_question(
    app: Flask, runtime: Runtime, summit: Summit
) -> None:
    """The stop button pressed 0.1 s after the microphone opened in a noisy room: an answer that
    no question was heard (a server error until the front end passed empty audio through)."""
    sio = connect(app, runtime)
    sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    noise = np.random.default_rng(5).normal(0.0, 3000.0, 1600).astype("<i2").tobytes()
    sio.emit("speech_audio", noise, namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    received = sio.get_received("/live")  # type: ignore[attr-defined]
    assert not [e for e in received if e["name"] == "speech_error"]
    (result,) = [e["args"][0] for e in received if e["name"] == "speech_result"]
    assert (result["intent"], result["answered"], result["candidates"]) == ("unknown", False, [])
    assert result["answer"]["text"].startswith("I did not hear a question")


def test_a_server_failure_in_a_stream_tells_the_page_and_the_next_question_works(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error while finishing a question (here: the decoder raising) reaches the
    kiosk as speech_error internal_error with a plain message, not silence; the stream is
    dropped and the kiosk's next question is answered."""
    from checkin.speech_service import LiveQuery

    sio = connect(app, runtime)
    real_finish = LiveQuery.finish

    def broken(self: LiveQuery, *args: object) -> dict:
        raise RuntimeError("decoder crashed")

    monkeypatch.setattr(LiveQuery, "finish", broken)
    sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    sio.emit("speech_audio", read_pcm(say("what is the wifi password")), namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    (error,) = events(sio, "speech_error")
    assert error == {
        "error": "internal_error",
        "message": "the server failed; the error was logged",
    }
    sio.emit("speech_audio", b"\x00\x00" * 1600, namespace="/live")
    assert events(sio, "speech_error")[0]["error"] == "no_stream"  # the broken stream is gone
    monkeypatch.setattr(LiveQuery, "finish", real_finish)
    sio.emit("speech_start", {"language": "en"}, namespace="/live", callback=True)
    sio.emit("speech_audio", read_pcm(say("what is the wifi password")), namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    (result,) = events(sio, "speech_result")
    assert result["intent"] == "wifi"
