"""Personal answers need an identification ticket this very device was issued, never an id.

The attack this closes: a kiosk token plus a claimed `attendee_id` revealed a stranger's hotel
room. Real PocketSphinx answers the questions; tickets come from entrance codes shown at the
kiosk's code box (`POST /api/recognition/identify-code`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from checkin import identification
from checkin.codes import issue_code
from core.runtime import Runtime
from models.db import transaction
from models.venue import CodeUse
from tests.conftest import Caller, device_caller
from tests.speech.conftest import Summit, Voice, code_ticket
from web.extensions import socketio

HOTEL_QUESTION = ("where is my hotel", "en-us", 150)


def ask(caller: Caller, audio: Path, **params: object) -> Any:
    return caller.post(
        "/api/speech/query",
        data=audio.read_bytes(),
        content_type="audio/wav",
        query_string=params,
    )


def forged_ticket(attendee_id: int, device_id: int) -> str:
    """A ticket of the right shape signed with a secret that is not the server's."""
    signer = URLSafeTimedSerializer("not-the-server-secret", salt="identification-ticket")
    return str(signer.dumps({"d": device_id, "a": attendee_id, "p": "assistant", "j": "x" * 24}))


# -- identify-code ---------------------------------------------------------------------------
def test_an_entrance_code_gives_a_masked_attendee_and_a_ticket_and_is_not_used_up(
    kiosk: Caller, runtime: Runtime, summit: Summit
) -> None:
    code = issue_code(runtime, summit.attendee_id)
    res = kiosk.post("/api/recognition/identify-code", json={"code": code, "purpose": "assistant"})
    assert res.status_code == 200, res.json
    body = res.json
    assert (body["decision"], body["method"], body["purpose"]) == ("match", "code", "assistant")
    assert body["attendee"]["name"] != "Alice Walker" and body["attendee"]["name"].endswith(
        "Walker"
    )
    assert body["ticket"] and body["ticket_seconds"] == identification.TICKET_SECONDS
    with transaction(runtime.sessions) as db:  # nothing granted, so the gate still takes it
        assert db.scalar(select(func.count()).select_from(CodeUse)) == 0


@pytest.mark.parametrize(
    ("code", "reason"),
    [("SC1.not-a-code", "code_malformed"), ("hello", "code_malformed")],
)
def test_a_bad_entrance_code_gets_a_reason_and_no_ticket(
    kiosk: Caller, summit: Summit, code: str, reason: str
) -> None:
    res = kiosk.post("/api/recognition/identify-code", json={"code": code})
    assert res.status_code == 200, res.json
    assert (res.json["reason"], res.json["ticket"], res.json["attendee"]) == (reason, None, None)


def test_identify_code_is_for_devices_that_serve_delegates(
    app: Flask, runtime: Runtime, staff: Caller, summit: Summit
) -> None:
    code = issue_code(runtime, summit.attendee_id)
    registration = device_caller(app, runtime, "registration", "reg-1")
    assert (
        registration.post("/api/recognition/identify-code", json={"code": code}).status_code == 403
    )
    assert staff.post("/api/recognition/identify-code", json={"code": code}).status_code == 403
    gate = device_caller(app, runtime, "gate", "gate-1")
    res = gate.post("/api/recognition/identify-code", json={"code": code, "purpose": "journey"})
    assert (res.status_code, res.json["error"]) == (403, "wrong_device_kind")


# -- HTTP questions --------------------------------------------------------------------------
def test_a_ticket_from_a_code_gets_personal_answers_for_several_questions(
    kiosk: Caller, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    for _ in range(2):  # not single-use: the delegate may ask again while it lasts
        res = ask(kiosk, say(*HOTEL_QUESTION), ticket=ticket)
        assert res.status_code == 200, res.json
        answer = res.json["answer"]
        assert res.json["intent"] == "my_hotel" and answer["personal"] is True
        assert summit.room in answer["text"] and summit.room not in answer["speak"]


def test_without_a_ticket_a_personal_question_points_to_the_code_box(
    kiosk: Caller, summit: Summit, say: Voice
) -> None:
    res = ask(kiosk, say(*HOTEL_QUESTION))
    assert res.status_code == 200, res.json
    text = res.json["answer"]["text"]
    assert summit.room not in text and "entrance code" in text and "camera" not in text


def test_a_claimed_attendee_id_is_refused_loudly(kiosk: Caller, summit: Summit, say: Voice) -> None:
    res = ask(kiosk, say(*HOTEL_QUESTION), attendee_id=summit.attendee_id)
    assert (res.status_code, res.json["error"]) == (400, "validation_error")
    assert res.json["fields"][0]["field"] == "attendee_id"


def test_another_kiosks_ticket_is_refused(
    app: Flask, kiosk: Caller, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    other = device_caller(app, runtime, "kiosk", "kiosk-2")
    ticket = code_ticket(other, runtime, summit.attendee_id)
    res = ask(kiosk, say(*HOTEL_QUESTION), ticket=ticket)
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")


def test_staff_cannot_borrow_a_kiosks_ticket(
    kiosk: Caller, staff: Caller, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    res = ask(staff, say(*HOTEL_QUESTION), ticket=ticket)
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")


def test_an_expired_ticket_is_refused(
    kiosk: Caller,
    runtime: Runtime,
    summit: Summit,
    say: Voice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    monkeypatch.setattr(identification, "TICKET_SECONDS", -1)  # its time is up
    res = ask(kiosk, say(*HOTEL_QUESTION), ticket=ticket)
    assert (res.status_code, res.json["error"]) == (403, "ticket_expired")


@pytest.mark.parametrize("tamper", ["foreign_secret", "edited"])
def test_a_forged_ticket_is_refused(
    kiosk: Caller, runtime: Runtime, summit: Summit, say: Voice, tamper: str
) -> None:
    if tamper == "foreign_secret":
        ticket = forged_ticket(summit.attendee_id, kiosk.principal_id)
    else:  # a real ticket of the other attendee, payload swapped to name this one
        real = code_ticket(kiosk, runtime, summit.other_id)
        _payload, rest = real.split(".", 1)
        swapped = forged_ticket(summit.attendee_id, kiosk.principal_id).split(".", 1)[0]
        ticket = f"{swapped}.{rest}"
    res = ask(kiosk, say(*HOTEL_QUESTION), ticket=ticket)
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")


# -- the microphone stream -------------------------------------------------------------------
def live_client(app: Flask, device: Caller) -> Any:
    token = device.headers["Authorization"].removeprefix("Bearer ")
    return socketio.test_client(app, namespace="/live", auth={"token": token})


def received(sio: Any, name: str) -> list[dict[str, Any]]:
    return [e["args"][0] for e in sio.get_received("/live") if e["name"] == name]


def test_streamed_question_with_a_ticket_gets_the_personal_answer(
    app: Flask, kiosk: Caller, runtime: Runtime, summit: Summit, say: Voice
) -> None:
    from recognition.speech.synth import read_pcm

    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    sio = live_client(app, kiosk)
    start = {"language": "en", "ticket": ticket}
    assert sio.emit("speech_start", start, namespace="/live", callback=True)["ok"] is True
    sio.emit("speech_audio", read_pcm(say(*HOTEL_QUESTION)), namespace="/live")
    sio.emit("speech_stop", namespace="/live")
    (result,) = received(sio, "speech_result")
    assert result["intent"] == "my_hotel" and summit.room in result["answer"]["text"]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            lambda s, own, other: {"language": "en", "attendee_id": s.attendee_id},
            "validation_error",
        ),
        (lambda s, own, other: {"language": "en", "ticket": other}, "ticket_other_device"),
        (
            lambda s, own, other: {"language": "en", "ticket": forged_ticket(s.attendee_id, own)},
            "ticket_invalid",
        ),
    ],
)
@pytest.mark.parametrize("event", ["speech_start", "speech_help"])
def test_the_stream_refuses_claimed_ids_and_foreign_or_forged_tickets(
    app: Flask,
    kiosk: Caller,
    runtime: Runtime,
    summit: Summit,
    event: str,
    payload: Any,
    error: str,
) -> None:
    other = device_caller(app, runtime, "kiosk", "kiosk-2")
    other_ticket = code_ticket(other, runtime, summit.attendee_id)
    sio = live_client(app, kiosk)
    ack = sio.emit(
        event, payload(summit, kiosk.principal_id, other_ticket), namespace="/live", callback=True
    )
    assert ack["error"] == error
    assert [e["error"] for e in received(sio, "speech_error")] == [error]


def test_the_stream_refuses_an_expired_ticket(
    app: Flask,
    kiosk: Caller,
    runtime: Runtime,
    summit: Summit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    monkeypatch.setattr(identification, "TICKET_SECONDS", -1)
    sio = live_client(app, kiosk)
    ack = sio.emit("speech_start", {"ticket": ticket}, namespace="/live", callback=True)
    assert ack["error"] == "ticket_expired"


def test_help_with_a_ticket_tells_the_console_the_masked_name(
    app: Flask, kiosk: Caller, runtime: Runtime, summit: Summit
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    sio = live_client(app, kiosk)
    sio.emit("speech_help", {"language": "en", "ticket": ticket}, namespace="/live", callback=True)
    relayed = [e for e in received(sio, "event") if e["event"] == "assistant_help_requested"]
    (event,) = relayed
    name = event["data"]["attendee"]
    assert name.endswith("Walker") and name != "Alice Walker"
