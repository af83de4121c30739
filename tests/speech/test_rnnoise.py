"""The noise front ends English speech is heard through: RNNoise (real library, real speech) and
the adaptive choice between it and the babble mask (or spectral subtraction)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recognition.speech import denoise, rnnoise
from recognition.speech.catalogue import NO_WORDS
from recognition.speech.denoise import Adaptive, LearnedMask, SpectralSubtractor, front_end, make
from recognition.speech.errors import SpeechUnavailable
from recognition.speech.rnnoise import RnnoiseSuppressor
from recognition.speech.sphinx_lm import CorpusLmEngine
from recognition.speech.synth import babble, read_pcm, speak
from recognition.speech.understand import understand

LAG = 352  # samples at 16 kHz (22 ms) the cleaned speech comes out after the input


def run(x: np.ndarray, chunk: int) -> np.ndarray:
    cleaner = RnnoiseSuppressor()
    parts = [cleaner.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    return np.concatenate([*parts, cleaner.finish()])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = speak("where is my hotel", tmp_path_factory.mktemp("rnnoise") / "q.wav")
    return np.frombuffer(read_pcm(path), dtype="<i2").astype(np.float64)


def white(like: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, 1.0, len(like))
    return noise * rms(like) / rms(noise) / 10 ** (snr_db / 20)


def test_every_sample_comes_out_and_the_chunk_size_changes_nothing(spoken: np.ndarray) -> None:
    x = spoken + white(spoken, 10)
    outputs = [run(x, chunk) for chunk in (7, 1600, 3200, len(x))]
    assert all(len(out) == len(x) for out in outputs)
    for out in outputs[1:]:
        np.testing.assert_allclose(out, outputs[0], atol=0.5)  # float32 inside the network


def test_white_noise_is_taken_out_of_pauses_and_the_speech_comes_through(
    spoken: np.ndarray,
) -> None:
    noise = white(spoken, 10)
    out = run(spoken + noise, 3200)[LAG:]
    clean = spoken[: len(out)]
    pause = slice(500, 4000)  # espeak-ng's 0.3 s of leading silence
    assert rms(out[pause]) < 0.2 * rms(noise[pause])  # more than 14 dB less hiss
    gain = float(out @ clean / (clean @ clean))
    assert 0.7 < gain < 1.2  # the speech keeps its level
    snr_in = 20 * np.log10(rms(clean) / rms(noise[: len(out)]))
    snr_out = 20 * np.log10(rms(gain * clean) / rms(out - gain * clean))
    assert snr_out > snr_in + 3  # measured 14.4 dB from 10 dB


def test_silence_stays_silent_and_the_voice_probability_follows_speech(
    spoken: np.ndarray,
) -> None:
    cleaner = RnnoiseSuppressor()
    out = np.concatenate([cleaner.process(np.zeros(16_000)), cleaner.process(spoken)])
    assert rms(out[:15_000]) < 1.0
    voice = np.array(cleaner.voice)
    assert voice[:90].max() < 0.2  # the first 0.9 s: silence
    assert voice[100 + 40 : 100 + 100].mean() > 0.6  # 0.4-1.0 s into the question: speech


def test_the_default_front_end_is_auto_and_one_can_be_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPEECH_DENOISE", raising=False)
    assert front_end() == "auto"
    assert isinstance(make(front_end()), Adaptive)
    assert CorpusLmEngine().denoise == "auto"
    chosen = (
        ("subtract", SpectralSubtractor),
        ("RNNoise", RnnoiseSuppressor),
        ("mask", LearnedMask),
    )
    for name, kind in chosen:
        monkeypatch.setenv("SPEECH_DENOISE", name)
        assert type(make(front_end())) is kind
    monkeypatch.setenv("SPEECH_DENOISE", "auto-subtract")
    assert isinstance(make(front_end()), Adaptive)
    monkeypatch.setenv("SPEECH_DENOISE", "off")
    assert make(front_end()) is None
    monkeypatch.setenv("SPEECH_DENOISE", "wiener")
    with pytest.raises(SpeechUnavailable) as refused:
        front_end()
    assert refused.value.code == "engine_missing"
    assert "auto, auto-subtract, rnnoise, mask, subtract, off" in str(refused.value)


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = babble(tmp_path_factory.mktemp("crowd") / "babble.wav", 4.0)
    return np.frombuffer(read_pcm(path), dtype="<i2").astype(np.float64)


@pytest.mark.parametrize("other", ["mask", "subtract"])
@pytest.mark.parametrize("room", ["quiet", "white", "crowd"])
def test_auto_keeps_rnnoise_for_steady_noise_the_masks_for_crowds_and_nothing_for_quiet_rooms(
    room: str, other: str, spoken: np.ndarray, crowd: np.ndarray
) -> None:
    noise = {
        "quiet": np.zeros(len(spoken)),
        "white": white(spoken, 10),
        "crowd": crowd[: len(spoken)] * rms(spoken) / rms(crowd) / 10 ** (10 / 20),
    }[room]
    x = spoken + noise
    auto = Adaptive(other)  # "auto" and "auto-subtract"
    parts = [auto.process(x[i : i + 1600]) for i in range(0, len(x), 1600)]
    out = np.concatenate([*parts, auto.finish()])
    crowd_kind = "mask-ahead" if other == "mask" else other  # the look-ahead mask for voices
    assert auto.chosen == {"white": "rnnoise", "quiet": "off", "crowd": crowd_kind}[room]
    alone = make(auto.chosen)
    expected = x if alone is None else np.concatenate([alone.process(x), alone.finish()])
    np.testing.assert_allclose(out, expected, atol=1e-6)  # the chosen one's output
    assert not any(len(p) for p in parts[:2])  # nothing before the choice (250 ms)


@pytest.mark.parametrize("room", ["white", "crowd"])
def test_auto_runs_only_rnnoise_on_the_lead_and_only_the_kept_suppressor_after(
    room: str, spoken: np.ndarray, crowd: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CPU for suppressors not kept: RNNoise hears the 250 ms lead (its voice probability
    decides) and the rest only when kept; the mask hears nothing in steady noise."""
    heard = {"rnnoise": 0, "mask": 0}

    def counted(kind: str, method: str, cls: type) -> None:
        original = getattr(cls, method)

        def wrapper(self: object, samples: np.ndarray) -> np.ndarray:
            heard[kind] += len(samples)
            return original(self, samples)  # type: ignore[no-any-return]

        monkeypatch.setattr(cls, method, wrapper)

    counted("rnnoise", "process", RnnoiseSuppressor)
    counted("mask", "process", LearnedMask)
    noise = white(spoken, 10) if room == "white" else crowd[: len(spoken)] * 0.3
    x = spoken + noise
    auto = Adaptive()
    out = np.concatenate(
        [*(auto.process(x[i : i + 1600]) for i in range(0, len(x), 1600)), auto.finish()]
    )
    assert len(out) == len(x)
    if room == "white":
        assert auto.chosen == "rnnoise"
        assert heard == {"rnnoise": len(x), "mask": 0}  # every sample once, none masked
    else:
        assert auto.chosen == "mask-ahead"
        assert heard == {"rnnoise": denoise.LEAD, "mask": len(x)}


def test_a_clear_voice_that_starts_at_once_passes_untouched_and_a_noisy_one_does_not(
    spoken: np.ndarray,
) -> None:
    """An upload, or an asker who speaks as the button is pressed: the first 250 ms are voice,
    not a quiet room. Auto then listens on (up to 1.5 s): a voice standing far above a soft
    hiss is left as it is; in 10 dB hiss the voice-like lead still gets the look-ahead mask."""
    onset = int(np.argmax(np.abs(spoken) > 300))  # espeak-ng's leading silence cut off
    voice = np.tile(spoken[onset:], 2)  # long enough to pass the 1.5 s window
    for snr, kept in ((40, "off"), (10, "mask-ahead")):
        x = voice + white(voice, snr, seed=3)
        auto = Adaptive()
        parts = [auto.process(x[i : i + 1600]) for i in range(0, len(x), 1600)]
        out = np.concatenate([*parts, auto.finish()])
        assert auto.chosen == kept, snr
        assert not any(len(p) for p in parts[:14])  # nothing before 1.5 s (15 chunks of 0.1 s)
        assert len(parts[14]) > 22000  # then all of it at once (less a suppressor's lag)
        if kept == "off":
            np.testing.assert_array_equal(out, x)  # untouched


def test_level_spread_reads_a_voice_over_its_floor() -> None:
    rng = np.random.default_rng(0)
    floor = rng.normal(0.0, 10.0, 4800)  # -70 dBFS
    loud = rng.normal(0.0, 3000.0, 4800)  # about -21 dBFS
    assert denoise.level_spread(np.concatenate([floor, loud])) == pytest.approx(49.5, abs=1.0)
    assert denoise.level_spread(loud) < 2.0
    assert denoise.level_spread(np.zeros(100)) == 0.0  # under one 30 ms frame


def test_auto_on_an_utterance_shorter_than_its_lead_chooses_at_the_end(spoken: np.ndarray) -> None:
    auto = Adaptive()
    short = spoken[:2000]
    assert not len(auto.process(short))
    out = auto.finish()
    assert auto.chosen == "off" and len(out) == len(short)  # quiet: untouched
    np.testing.assert_array_equal(out, short)


@pytest.mark.parametrize("kind", [k for k in denoise.FRONT_ENDS if k != "off"])  # off: none
@pytest.mark.parametrize("samples", [0, 1, 1600, denoise.LEAD, denoise.LEAD + 1])
def test_noise_no_longer_than_the_lead_and_empty_pieces_come_through(
    kind: str, samples: int
) -> None:
    """Steady noise up to the lead's length is all heard before auto chooses (RNNoise, having
    heard all of it) and nothing is left for the rest: that once reached scipy's filter as an
    empty array, which refuses it (a server error for a short tap of the microphone). Empty
    pieces fed later, and an empty utterance, come through too, every sample out once."""
    noise = np.random.default_rng(3).normal(0.0, 3000.0, samples)
    clean = make(kind)
    assert clean is not None
    out = [clean.process(noise), clean.process(np.zeros(0)), clean.finish()]
    assert sum(len(o) for o in out) == samples
    if kind == "auto" and samples >= 1600:
        assert clean.chosen == "rnnoise"


def test_without_the_library_speech_is_heard_through_spectral_subtraction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPEECH_DENOISE", raising=False)
    monkeypatch.setattr(rnnoise, "_lib", None)
    monkeypatch.setattr(rnnoise.importlib.util, "find_spec", lambda name: None)
    assert not rnnoise.available()
    assert front_end() == "subtract"
    assert type(denoise.make(front_end())) is SpectralSubtractor
    monkeypatch.setenv("SPEECH_DENOISE", "rnnoise")
    assert front_end() == "subtract"
    with pytest.raises(rnnoise.RnnoiseMissing, match=r"\./dev setup"):
        RnnoiseSuppressor()


QUESTIONS = (
    ("where is my hotel", "my_hotel"),
    ("when does my car leave", "my_departure"),
    ("what is the wifi password", "wifi"),
    ("i need a doctor", "help"),
)


def heard(engine: CorpusLmEngine, pcm: bytes) -> list[str]:
    """The intents a kiosk would answer or offer as buttons for this audio."""
    stream = engine.open_stream(NO_WORDS)
    stream.accept(pcm)
    t = stream.finish()
    u = understand(t.text, "en", NO_WORDS, t.confidence, t.alternatives)
    return [u.intent.name] if u.answered else [c.name for c in u.candidates]


def test_questions_in_white_noise_are_heard_through_rnnoise(tmp_path: Path) -> None:
    """Four questions in white noise at 10 dB SNR, each front end on the same audio."""
    found: dict[str, int] = {}
    for kind in ("auto", "rnnoise", "subtract"):
        engine = CorpusLmEngine(denoise=kind)
        found[kind] = 0
        for k, (text, intent) in enumerate(QUESTIONS):
            clean = np.frombuffer(read_pcm(speak(text, tmp_path / f"{k}.wav")), dtype="<i2")
            x = clean.astype(np.float64) + white(clean.astype(np.float64), 10, seed=k)
            pcm = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
            found[kind] += intent in heard(engine, pcm)
    assert found["auto"] == found["rnnoise"] >= 3, found  # auto keeps RNNoise in white noise
    assert found["rnnoise"] >= found["subtract"], found
