"""Moonshine tiny beside PocketSphinx: the real model on real synthesised audio, its tokenizer,
how the kiosk's English engine carries both transcripts, and how the rule weighs them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recognition.speech import moonshine
from recognition.speech.catalogue import NO_WORDS
from recognition.speech.engines import transcribe_whole
from recognition.speech.errors import SpeechUnavailable
from recognition.speech.registry import SpeechEngines
from recognition.speech.sphinx_lm import CorpusLmEngine
from recognition.speech.synth import babble, mix_noise, read_pcm
from recognition.speech.understand import Hearing, understand, understand_heard
from tests.speech.conftest import Voice


@pytest.fixture(scope="module")
def model() -> moonshine.Moonshine:
    found = moonshine.shared()
    if found is None:
        pytest.skip(
            "Moonshine is not installed (./dev setup puts it in recognition/speech/weights)"
        )
    return found


def test_installed_files_are_the_checked_ones(model: moonshine.Moonshine) -> None:
    import hashlib

    folder = moonshine.folder()
    assert folder is not None
    for name, digest in moonshine.FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_tokens_become_text_as_the_tokenizer_decodes_them(model: moonshine.Moonshine) -> None:
    tokens = model.tokens
    index = {piece: i for i, piece in enumerate(tokens.pieces)}
    # "▁ca" "f" + the two UTF-8 bytes of "é" as byte pieces, a special token, "▁hotel"
    ids = [index["▁ca"], index["f"], index["<0xC3>"], index["<0xA9>"], 2, index["▁hotel"]]
    assert tokens.text(ids) == "café hotel"  # first space dropped, </s> skipped
    assert tokens.text([]) == ""


def test_its_words_are_the_kiosks_words() -> None:
    assert (
        moonshine.plain("High-club, you tell me: Wi-Fi/VPN?") == "high club you tell me wi fi vpn"
    )
    assert moonshine.plain("Where's my room?") == "where's my room"


def test_it_hears_an_everyday_question_with_a_word_confidence(
    model: moonshine.Moonshine, say: Voice
) -> None:
    heard = model.transcribe(read_pcm(say("where can i find the toilets", "en-us", 150)))
    assert heard.engine == "moonshine-tiny"
    assert "toilet" in heard.text and heard.text == heard.text.lower()
    assert 0.5 < heard.confidence <= 1.0
    assert heard.alternatives == ((heard.text, 1.0),)
    assert understand(heard.text, "en", NO_WORDS, heard.confidence).intent.name == "directions"


def test_too_little_audio_is_nothing_heard(model: moonshine.Moonshine) -> None:
    assert model.transcribe(b"\x00\x00" * 800).text == ""  # 0.05 s
    heard = model.transcribe(np.zeros(16000, dtype="<i2").tobytes())  # a second of silence
    assert heard.confidence == 0.0 or heard.text == ""


def test_the_kiosk_engine_streams_pocketsphinx_and_adds_moonshine(
    model: moonshine.Moonshine, say: Voice
) -> None:
    engine = moonshine.WithMoonshine(CorpusLmEngine(), model)
    assert engine.name == "pocketsphinx-lm+moonshine-tiny"
    pcm = read_pcm(say("what is the wifi password", "en-us", 150))
    stream = engine.open_stream(NO_WORDS)
    partials = [stream.accept(pcm[i : i + 3200]) for i in range(0, len(pcm), 3200)]
    heard = stream.finish()
    assert any(partials)  # PocketSphinx's words while the question is spoken
    assert heard.engine == "pocketsphinx-lm" and "wifi" in heard.text
    (second,) = heard.also
    assert second.engine == "moonshine-tiny" and "password" in second.text


def test_if_moonshine_fails_pocketsphinx_alone_answers(
    model: moonshine.Moonshine, say: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault in the second recogniser (onnxruntime raising) costs the delegate nothing: the
    question is decided on PocketSphinx's words, not answered with a server error."""
    engine = moonshine.WithMoonshine(CorpusLmEngine(), model)

    def broken(pcm: bytes) -> None:
        raise RuntimeError("onnxruntime: out of memory")

    monkeypatch.setattr(model, "transcribe", broken)
    pcm = read_pcm(say("what is the wifi password", "en-us", 150))
    heard = transcribe_whole(engine.open_stream(NO_WORDS), pcm)
    assert heard.engine == "pocketsphinx-lm" and "wifi" in heard.text and heard.also == ()


def test_registry_serves_both_unless_switched_off(
    model: moonshine.Moonshine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SPEECH_MOONSHINE", raising=False)
    assert SpeechEngines(tmp_path).engine("en").name == "pocketsphinx-lm+moonshine-tiny"
    assert moonshine.status() == "moonshine"
    monkeypatch.setenv("SPEECH_MOONSHINE", "off")
    assert SpeechEngines(tmp_path).engine("en").name == "pocketsphinx-lm"
    assert moonshine.status() == "off"
    monkeypatch.setenv("SPEECH_MOONSHINE", str(tmp_path / "nothing"))
    assert moonshine.status() == "moonshine_missing"
    with pytest.raises(SpeechUnavailable) as err:
        SpeechEngines(tmp_path).engine("en")
    assert err.value.code == "engine_missing" and "SPEECH_MOONSHINE" in str(err.value)


def test_the_rule_weighs_both_recognisers_and_skips_one_that_heard_nothing() -> None:
    sure_hotel = Hearing("where is my hotel", 0.95, (), 0.3)
    garbled = Hearing("where is the", 0.4, (("where is the", 0.5), ("wear is a", 0.5)), 0.7)
    both = understand_heard([garbled, sure_hotel], "en", NO_WORDS)
    alone = understand_heard([garbled], "en", NO_WORDS)
    assert "my_hotel" in [c.name for c in both.candidates]  # Moonshine's question is offered
    assert "my_hotel" not in [c.name for c in alone.candidates]
    assert both.candidates[0].score < alone.candidates[0].score  # less sure of the agenda
    nothing = Hearing("", 0.0, (), 0.3)
    assert understand_heard([sure_hotel, nothing], "en", NO_WORDS) == understand_heard(
        [sure_hotel], "en", NO_WORDS
    )


def test_in_a_crowd_moonshine_keeps_the_question_among_the_buttons(
    model: moonshine.Moonshine, say: Voice, tmp_path: Path
) -> None:
    """Babble at 10 dB: the kiosk's two recognisers together; the right question answered or
    offered, never a wrong answer."""
    crowd = babble(tmp_path / "crowd.wav", 20.0)
    engine = moonshine.WithMoonshine(CorpusLmEngine(), model)
    from checkin.speech_service import hearings

    for text, intent in (
        ("i need to check out of my room today", "checkout"),
        ("what is the wifi password", "wifi"),
    ):
        noisy = mix_noise(say(text, "en-us", 150), crowd, tmp_path / "n.wav", 10.0)
        heard = transcribe_whole(engine.open_stream(NO_WORDS, "kiosk:crowd"), read_pcm(noisy))
        u = understand_heard(hearings(heard), "en", NO_WORDS)
        names = [c.name for c in u.candidates]
        assert (u.answered and u.intent.name == intent) or (not u.answered and intent in names), (
            text,
            heard,
            u,
        )


def test_in_a_loud_hall_moonshine_hears_what_the_front_end_gave_pocketsphinx(
    model: moonshine.Moonshine, say: Voice, tmp_path: Path
) -> None:
    """Quiet: the raw question. Babble at 10 dB: the audio PocketSphinx heard through the noise
    front end, streamed in 100 ms chunks, the same as the front end run on the whole question
    (what the tuning split measured), and not the raw audio."""
    from recognition.speech import denoise
    from recognition.speech.audio import LOUD_DB, speech_over_noise

    engine = moonshine.WithMoonshine(CorpusLmEngine(denoise="auto"), model)
    clean = read_pcm(say("where is the shuttle bus to the airport", "en-us", 150))
    stream = engine.open_stream(NO_WORDS)
    transcribe_whole(stream, clean)
    assert stream.for_moonshine() == clean  # a quiet hall: raw

    crowd = babble(tmp_path / "crowd.wav", 20.0)
    noisy = read_pcm(
        mix_noise(
            say("where is the shuttle bus to the airport", "en-us", 150),
            crowd,
            tmp_path / "n.wav",
            10.0,
        )
    )
    level = speech_over_noise(noisy)
    assert level is not None and level < LOUD_DB
    stream = engine.open_stream(NO_WORDS)
    heard = transcribe_whole(stream, noisy)
    front = denoise.make("auto")
    assert front is not None
    x = np.frombuffer(noisy, dtype="<i2").astype(np.float64)
    whole = np.concatenate([front.process(x), front.finish()])
    expected = np.clip(np.round(whole), -32768, 32767).astype("<i2").tobytes()
    given = stream.for_moonshine()
    assert given == expected and given != noisy and len(given) == len(noisy)
    assert heard.also and heard.also[0].engine == "moonshine-tiny"


def test_without_a_front_end_moonshine_hears_the_raw_question(
    model: moonshine.Moonshine, say: Voice, tmp_path: Path
) -> None:
    crowd = babble(tmp_path / "crowd.wav", 20.0)
    noisy = read_pcm(
        mix_noise(say("what is the wifi password", "en-us", 150), crowd, tmp_path / "n.wav", 10.0)
    )
    engine = moonshine.WithMoonshine(CorpusLmEngine(denoise="off"), model)
    stream = engine.open_stream(NO_WORDS)
    transcribe_whole(stream, noisy)
    assert stream.for_moonshine() == noisy
