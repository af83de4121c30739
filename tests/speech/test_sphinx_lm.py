"""The corpus language model decoder (sphinx_lm.py) and how its n-best list is understood."""

from __future__ import annotations

from recognition.speech.catalogue import NO_WORDS
from recognition.speech.sphinx_lm import CMN_INIT, CorpusLmEngine, decode, transcribe
from recognition.speech.synth import read_pcm
from recognition.speech.understand import understand
from tests.speech.conftest import Voice

MISHEARD = [
    ("where is my go to old", 0.25),
    ("where is my hotel", 0.25),
    ("where is my hotel room", 0.25),
    ("where is my go to", 0.25),
]


def test_hypotheses_that_agree_outvote_a_misheard_best_sentence() -> None:
    alone = understand(MISHEARD[0][0], "en", NO_WORDS, heard=0.9)
    pooled = understand(MISHEARD[0][0], "en", NO_WORDS, heard=0.9, alternatives=MISHEARD)
    assert "my_hotel" not in [c.name for c in alone.candidates]
    assert pooled.candidates[0].name == "my_hotel"


def test_typed_question_below_the_answer_threshold_is_confirmed_with_three_buttons() -> None:
    u = understand("where", "en", NO_WORDS)
    assert (u.intent.name, u.answered) == ("unknown", False)
    assert len(u.candidates) == 3


def test_a_fresh_decoder_starts_from_a_typical_cepstral_mean_not_the_default_guess() -> None:
    engine = CorpusLmEngine()
    key, dec = engine.decoder(NO_WORDS)
    try:
        start = [float(v) for v in dec.get_cmn(False).split(",")]
    finally:
        engine.release(key, dec)
    assert start[:3] == [float(v) for v in CMN_INIT.split(",")[:3]]


def test_decode_gives_the_n_best_list_best_first(say: Voice) -> None:
    pcm = read_pcm(say("i want to check out", "en-us", 150))
    nbest = decode(pcm, "en", NO_WORDS)
    heard = transcribe(pcm, "en", NO_WORDS)
    assert "check out" in heard.text and 0.0 < heard.confidence <= 1.0
    assert 1 <= len(nbest) <= 5
    assert abs(sum(w for _, w in nbest) - 1.0) < 1e-6
    assert "check out" in nbest[0][0]
    u = understand(nbest[0][0], "en", NO_WORDS, heard.confidence, nbest)
    assert u.candidates[0].name == "checkout"
