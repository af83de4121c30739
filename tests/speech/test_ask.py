"""POST /api/speech/ask (typed or tapped questions) and GET /api/speech/languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from models.db import transaction
from models.events import DomainEvent
from tests.conftest import Caller
from tests.speech.conftest import Summit, code_ticket


def ask(caller: Caller, **body: object) -> object:
    return caller.post("/api/speech/ask", json=body)


def test_typed_chinese_question_without_a_ticket_points_to_identification(
    kiosk: Caller, summit: Summit
) -> None:
    res = ask(kiosk, text="我的酒店在哪里", language="zh")
    assert res.status_code == 200, res.json
    body = res.json
    assert (body["intent"], body["answered"], body["engine"]) == ("my_hotel", True, "typed")
    assert body["needs_identification"] is True and "入场码" in body["answer"]["text"]
    assert summit.hotel_name not in body["answer"]["text"]
    assert 0.6 <= body["confidence"] <= 1.0
    assert body["candidates"][0]["intent"] == "my_hotel"


def test_typed_question_with_a_ticket_gets_the_personal_answer(
    kiosk: Caller, runtime: Runtime, summit: Summit
) -> None:
    ticket = code_ticket(kiosk, runtime, summit.attendee_id)
    body = ask(kiosk, text="which hotel am I staying at", language="en", ticket=ticket).json
    assert (body["intent"], body["answered"], body["needs_identification"]) == (
        "my_hotel",
        True,
        False,
    )
    assert summit.room in body["answer"]["text"] and summit.room not in body["answer"]["speak"]


def test_vague_question_is_not_answered_but_offers_candidates_with_labels(kiosk: Caller) -> None:
    body = ask(kiosk, text="什么时候", language="zh").json
    assert (body["intent"], body["answered"]) == ("unknown", False)
    assert 2 <= len(body["candidates"]) <= 3
    assert all(c["question"] and "{" not in c["question"] for c in body["candidates"])
    tapped = ask(
        kiosk,
        intent=body["candidates"][0]["intent"],
        slots=body["candidates"][0]["slots"],
        language="zh",
    ).json
    assert (tapped["intent"], tapped["answered"], tapped["engine"]) == (
        body["candidates"][0]["intent"],
        True,
        "tap",
    )


def test_off_topic_question_is_not_answered(kiosk: Caller) -> None:
    body = ask(kiosk, text="what is the capital of france", language="en").json
    assert (body["intent"], body["answered"], body["candidates"]) == ("unknown", False, [])


def test_tapped_directions_answer_in_the_askers_language(kiosk: Caller) -> None:
    body = ask(kiosk, intent="directions", slots={"place": "restroom"}, language="zh").json
    assert body["answered"] is True and body["answer"]["text"].startswith("洗手间")


@pytest.mark.parametrize(
    "body",
    [
        {"text": "where is my hotel", "intent": "my_hotel"},
        {},
        {"text": ""},
        {"intent": "open_the_doors"},
        {"intent": "directions", "slots": {"place": "vault"}},
        {"text": "where is my hotel", "attendee_id": 1},
        {"text": "where is my hotel", "language": "fr"},
    ],
)
def test_bad_questions_are_refused_without_writing(
    kiosk: Caller, runtime: Runtime, body: dict[str, object]
) -> None:
    res = kiosk.post("/api/speech/ask", json=body)
    assert (res.status_code, res.json["error"]) == (400, "validation_error"), res.json
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(func.count()).select_from(DomainEvent)) == 0


def test_languages_lists_spoken_and_typed(kiosk: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOSK_MODEL_ZH", raising=False)
    body = kiosk.get("/api/speech/languages").json
    assert body["typed"] == ["en", "zh", "ko"]
    assert "en" in body["spoken"] and "zh" not in body["spoken"]


def test_tapped_help_calls_staff(kiosk: Caller, runtime: Runtime) -> None:
    assert ask(kiosk, intent="help", language="en").json["answered"] is True
    with transaction(runtime.sessions) as db:
        names = db.scalars(select(DomainEvent.name)).all()
    assert names == ["assistant_help_requested"]
