"""The corpus language model decoder (sphinx_lm.py) and how its n-best list is understood."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recognition.speech.catalogue import NO_WORDS
from recognition.speech.engines import transcribe_whole
from recognition.speech.errors import SpeechUnavailable
from recognition.speech.sphinx_lm import (
    CMN_INIT,
    DECODER_OPTIONS,
    KIOSK_MLLR,
    CorpusLmEngine,
    acoustic_model,
    decode,
    transcribe,
)
from recognition.speech.synth import read_pcm
from recognition.speech.understand import RULE, understand
from tests.speech.conftest import Voice

LEAD0 = replace(RULE, lead=0.0)

MISHEARD = [
    ("where is my go to old", 0.25),
    ("where is my hotel", 0.25),
    ("where is my hotel room", 0.25),
    ("where is my go to", 0.25),
]


def test_hypotheses_that_agree_outvote_a_misheard_best_sentence() -> None:
    """A misheard best sentence comes with low word confidence (here 0.5): the list behind it
    decides. A clearly heard one (0.94) leads its list: the flat 5-best weights of
    PocketSphinx no longer let "where is michael tell" count as much as "where is my hotel"."""
    alone = understand(MISHEARD[0][0], "en", NO_WORDS, heard=0.5)
    pooled = understand(MISHEARD[0][0], "en", NO_WORDS, heard=0.5, alternatives=MISHEARD)
    assert "my_hotel" not in [c.name for c in alone.candidates]
    assert pooled.candidates[0].name == "my_hotel"
    heard = ["where is my hotel", "where is my go tell", "where is like hotel"]
    heard += ["where is michael tell", "where is my tell tell"]
    clear = understand(heard[0], "en", NO_WORDS, 0.94, [(t, 0.2) for t in heard])
    assert (clear.intent.name, clear.answered) == ("my_hotel", True)
    flat = understand(heard[0], "en", NO_WORDS, 0.94, [(t, 0.2) for t in heard], LEAD0)
    assert flat.answered is False  # the rule before the lead


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


def test_the_kiosk_transform_is_a_near_identity_map_of_the_three_feature_streams() -> None:
    numbers = KIOSK_MLLR.read_text().split()
    classes, streams = int(numbers[0]), int(numbers[1])
    assert (classes, streams) == (1, 3)
    pos = 2
    for _ in range(streams):
        size = int(numbers[pos])
        a = np.array(numbers[pos + 1 : pos + 1 + size * size], dtype=float).reshape(size, size)
        pos += 1 + size * size + 2 * size  # A, then the bias b and the variance scale
        assert size == 13
        assert np.all(np.abs(np.diag(a) - 1.0) < 0.5)  # a correction, not another model
    assert pos == len(numbers)


def test_served_decoders_hear_through_the_kiosk_transform(say: Voice) -> None:
    """The transform is loaded and changes the acoustic scores (docs/speech.md: what it gains)."""
    pcm = read_pcm(say("where is my hotel", "en-us", 150))
    heard = {}
    for name, options in (("served", DECODER_OPTIONS), ("plain", {"cmninit": CMN_INIT})):
        engine = CorpusLmEngine(options=dict(options), denoise="off")
        key, dec = engine.decoder(NO_WORDS)
        assert (dec.config["mllr"] or "") == (str(KIOSK_MLLR) if name == "served" else "")
        engine.release(key, dec)
        heard[name] = transcribe_whole(engine.open_stream(NO_WORDS), pcm)
        assert "hotel" in heard[name].text
    assert heard["served"].confidence != heard["plain"].confidence


def test_speech_mllr_chooses_the_transform_or_none_and_refuses_a_missing_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SPEECH_MLLR", raising=False)
    assert CorpusLmEngine()._options["mllr"] == str(KIOSK_MLLR)
    monkeypatch.setenv("SPEECH_MLLR", "off")
    assert "mllr" not in CorpusLmEngine()._options
    own = tmp_path / "summit.mllr"
    own.write_text(KIOSK_MLLR.read_text())
    monkeypatch.setenv("SPEECH_MLLR", str(own))
    assert CorpusLmEngine()._options["mllr"] == str(own)
    monkeypatch.setenv("SPEECH_MLLR", str(tmp_path / "missing.mllr"))
    with pytest.raises(SpeechUnavailable) as refused:
        CorpusLmEngine()
    assert refused.value.code == "engine_missing" and "missing.mllr" in str(refused.value)


def test_the_console_is_told_which_acoustic_model_is_in_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SPEECH_MLLR", raising=False)
    assert acoustic_model() == "kiosk"
    monkeypatch.setenv("SPEECH_MLLR", "OFF")
    assert acoustic_model() == "off"
    own = tmp_path / "summit.mllr"
    own.write_text(KIOSK_MLLR.read_text())
    monkeypatch.setenv("SPEECH_MLLR", str(own))
    assert acoustic_model() == "custom"
    monkeypatch.setenv("SPEECH_MLLR", str(tmp_path / "gone.mllr"))
    assert acoustic_model() == "missing"


NEURAL_QUESTIONS = [  # everyday phrasings, none of them in the corpus or the evaluation sets
    ("i forgot which hotel i am booked in", "my_hotel"),
    ("has my driver arrived", "my_pickup"),
    ("how do i get on the wireless network", "wifi"),
    ("please call a volunteer", "help"),
    ("when does my car leave for the airport", "my_departure"),
    ("where can i find a bathroom", "directions"),
]


def test_a_neural_voice_learnt_from_people_is_understood_clean_and_in_crowd_babble(
    tmp_path: Path,
) -> None:
    """hibari-tts (distilled from Kokoro-82M, a voice learnt from recorded speech) through the
    served front end, transform and rule: each question right at once or among the buttons,
    none answered wrongly, clean and with six espeak-ng talkers at 10 dB."""
    from recognition.speech.synth import babble, mix_noise, speak_neural

    engine = CorpusLmEngine()
    crowd = babble(tmp_path / "crowd.wav", 20.0)
    for k, (text, gold) in enumerate(NEURAL_QUESTIONS):
        clean = speak_neural(text, tmp_path / f"{k}.wav")
        noisy = mix_noise(clean, crowd, tmp_path / f"{k}_babble10.wav", 10.0)
        for room, path in (("quiet", clean), ("crowd", noisy)):
            heard = transcribe_whole(engine.open_stream(NO_WORDS, room), read_pcm(path))
            found = understand(heard.text, "en", NO_WORDS, heard.confidence, heard.alternatives)
            offered = [c.name for c in found.candidates]
            assert (found.answered and found.intent.name == gold) or (
                not found.answered and gold in offered
            ), (room, text, heard.text, found.intent.name, offered)


def test_a_question_the_search_keeps_no_lattice_for_is_heard_as_nothing_not_an_error(
    tmp_path: Path,
) -> None:
    """Found on the tuning split: flite's slt voice in white noise at 20 dB, heard with no
    front end (SPEECH_DENOISE=off, or auto in a quiet room), leaves PocketSphinx with no
    lattice, so its n-best list and word segments are None; the kiosk answered with a server
    error. Now it is a question heard as nothing (the kiosk offers tapping or typing)."""
    from recognition.speech.synth import add_noise, speak_flite

    clean = speak_flite("how can i reach the taxi rank", tmp_path / "q.wav", "slt")
    pcm = read_pcm(add_noise(clean, tmp_path / "q20.wav", 20, "whitenoise"))
    heard = transcribe_whole(CorpusLmEngine(denoise="off").open_stream(NO_WORDS), pcm)
    assert heard.confidence == 0.0 and heard.alternatives == () and heard.text == ""


def test_speech_cost_times_each_part_of_a_question(say: Voice) -> None:
    """benchmarks/speech_cost.py: a real noisy question is heard as the kiosk hears it under
    each setting; every part (front end, search, end of utterance, Moonshine) is timed, the
    parts add up, and a setting's options go over the served ones."""
    import benchmarks.speech_cost as cost
    from recognition.speech import moonshine, sphinx_lm

    assert cost.options("") == sphinx_lm.DECODER_OPTIONS
    assert cost.options("topn=2,fwdflat=true")["topn"] == 2
    assert cost.options("topn=2,fwdflat=true")["fwdflat"] is True
    assert "mllr" not in cost.options("mllr=none")
    clips = [("white10", read_pcm(say("where is my hotel", snr=10)))]
    heard = moonshine.shared() is not None
    table = cost.measure(clips, ["", "topn=2"], with_moonshine=heard)
    assert set(table) == {("white10", ""), ("white10", "topn=2")}
    for row in table.values():
        assert row["front"] > 0 and row["search"] > 0 and row["finish"] > 0  # RNNoise in white
        assert (row["moonshine"] > 0) == heard
        assert row["all"] == pytest.approx(sum(row[p] for p in cost.PARTS))
