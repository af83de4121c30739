"""Pooled decoders serve every kiosk: a question is heard from its own kiosk's cepstral mean,
never from whatever the decoder heard last at another kiosk."""

from __future__ import annotations

from recognition.speech.audio import decode_upload
from recognition.speech.catalogue import NO_WORDS
from recognition.speech.engines import transcribe_whole
from recognition.speech.sphinx_lm import CMN_INIT, CorpusLmEngine
from tests.speech.conftest import Voice


def pcm_of(say: Voice, *args: object, **kw: object) -> bytes:
    return decode_upload(say(*args, **kw).read_bytes()).data  # type: ignore[arg-type]


def test_a_question_is_heard_from_its_own_kiosk_s_mean_not_the_last_one_the_decoder_heard(
    say: Voice,
) -> None:
    question = pcm_of(say, "what time is the opening ceremony")
    noisy_hall = pcm_of(say, "is there a doctor on site", "en-us+f3", 190, snr=5)
    engine = CorpusLmEngine()
    fresh = transcribe_whole(engine.open_stream(NO_WORDS, "device:1"), question)
    for _ in range(2):  # kiosk 2, in a noisy hall, on the same pooled decoder
        transcribe_whole(engine.open_stream(NO_WORDS, "device:2"), noisy_hall)
    assert len(engine._idle) == 1 and len(next(iter(engine._idle.values()))) == 1  # one decoder
    assert engine.room_start("device:2") != CMN_INIT  # kiosk 2's decoder adapted to its hall
    # Kiosk 3 (new) starts from CMN_INIT, not from kiosk 2's hall: heard as a fresh decoder.
    third = transcribe_whole(engine.open_stream(NO_WORDS, "device:3"), question)
    assert third.text == fresh.text
    assert [t for t, _ in third.alternatives] == [t for t, _ in fresh.alternatives]
    # Live CMN's running window keeps a trace of earlier audio (0.015 here); a decoder
    # that carried kiosk 2's mean over moved this question's confidence by 0.06.
    assert abs(third.confidence - fresh.confidence) < 0.03
    # Kiosk 1 goes on from where its own last question ended.
    assert engine.room_start("device:1") not in ("", CMN_INIT)
    assert engine.room_start(None) == CMN_INIT  # no room: always the start value


def test_rooms_are_remembered_in_a_bounded_table(say: Voice, monkeypatch: object) -> None:
    import recognition.speech.sphinx_lm as sphinx_lm

    monkeypatch.setattr(sphinx_lm, "MAX_ROOMS", 2)  # type: ignore[attr-defined]
    question = pcm_of(say, "where is my hotel")
    engine = CorpusLmEngine()
    for room in ("a", "b", "c"):
        transcribe_whole(engine.open_stream(NO_WORDS, room), question)
    assert engine.room_start("a") == CMN_INIT  # the least recently heard room was forgotten
    assert engine.room_start("c") != CMN_INIT
