"""The intent layer on English, Chinese (jieba) and Korean text."""

from __future__ import annotations

import pytest

from recognition.speech.catalogue import SessionName, SummitWords, ZoneName, load_catalogue
from recognition.speech.intents import match_intent, tokens

WORDS = SummitWords(
    sessions=(
        SessionName(1, "Opening ceremony", "开幕式"),
        SessionName(2, "Forum: Smart cities", "分论坛：智慧城市"),
        SessionName(3, "Closing ceremony", "闭幕式"),
    ),
    zones=(ZoneName("exhibition", "Exhibition hall", "展馆"),),
)
FILL = {
    "en": ("exhibition hall", "opening ceremony"),
    "zh": ("展馆", "开幕式"),
    "ko": ("화장실", ""),
}


def catalogue_examples() -> list[tuple[str, str, str]]:
    cases = []
    for name, spec in load_catalogue()["intents"].items():
        for language, examples in spec["examples"].items():
            place, session = FILL[language]
            for example in examples:
                text = example.replace("{place}", place).replace("{session}", session)
                cases.append((language, name, text))
    return cases


@pytest.mark.parametrize(("language", "intent", "text"), catalogue_examples())
def test_every_catalogue_example_is_understood_as_its_own_intent(
    language: str, intent: str, text: str
) -> None:
    assert match_intent(text, language, WORDS).name == intent


@pytest.mark.parametrize(
    ("language", "text", "intent", "slots"),
    [
        ("en", "Where is my hotel?", "my_hotel", {}),
        ("en", "When does my car come?", "my_pickup", {}),
        (
            "en",
            "What time is the opening ceremony?",
            "agenda_session",
            {"session_id": 1, "session": "opening ceremony"},
        ),
        (
            "en",
            "When is the closing ceremony",
            "agenda_session",
            {"session_id": 3, "session": "closing ceremony"},
        ),
        (
            "en",
            "How do I get to the exhibition hall?",
            "directions",
            {"place": "exhibition", "place_name": "exhibition hall"},
        ),
        ("en", "I want to check-out", "checkout", {}),
        ("en", "what's the Wi-Fi password", "wifi", {}),
        ("zh", "我的酒店在哪里", "my_hotel", {}),
        ("zh", "开幕式几点开始？", "agenda_session", {"session_id": 1, "session": "开幕式"}),
        (
            "zh",
            "智慧城市论坛什么时候开始",
            "agenda_session",
            {"session_id": 2, "session": "智慧城市"},
        ),
        ("zh", "洗手间在哪里", "directions", {"place": "restroom", "place_name": "洗手间"}),
        ("zh", "我 要 退房", "checkout", {}),
        ("ko", "택시는 어디에 있나요", "directions", {"place": "taxi", "place_name": "택시"}),
        ("ko", "공항 차는 언제 출발 하나요", "my_departure", {}),
    ],
)
def test_questions_outside_the_examples_get_intent_and_slots(
    language: str, text: str, intent: str, slots: dict[str, object]
) -> None:
    got = match_intent(text, language, WORDS)
    assert (got.name, got.slots) == (intent, slots)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "the weather is lovely today"),
        ("en", ""),
        ("zh", "今天天气很好"),
        ("ko", "날씨가 좋네요"),
    ],
)
def test_off_topic_or_empty_text_is_unknown(language: str, text: str) -> None:
    assert match_intent(text, language, WORDS).name == "unknown"


def test_chinese_is_segmented_with_jieba_keeping_catalogue_words_whole() -> None:
    assert tokens("我想办理退房", "zh") == ["我", "想", "办理", "退房"]
    assert "洗手间" in tokens("请问洗手间怎么走", "zh")


def test_korean_cues_match_words_with_particles_attached() -> None:
    assert match_intent("호텔은", "ko", WORDS).name == "my_hotel"
