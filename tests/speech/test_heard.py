"""Experiment tools (benchmarks/speech_heard.py, speech_lsa.py, speech_mask.py): heard training
text comes from training templates and other voices only; the log-MMSE suppressor streams, turns
steady and rising noise down and keeps a tone; the babble mask's training sample and talkers are
not the benchmarks', and the streaming look-ahead mask gives what the whole utterance would.
None of them is part of the served system (the mask they train is)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from recognition.speech import denoise
from recognition.speech.catalogue import normalise_en
from recognition.speech.corpus import labels
from recognition.speech.denoise import SpectralSubtractor

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "recognition/speech/evaluation/questions.csv"
SPEECH_DEV = ROOT.parent / "shared" / "data" / "speech_dev" / "questions.csv"
BENCH_VOICES = {"en-us", "en-gb+f3", "en-us+m3", "slt", "rms", "awb"}

heard = pytest.importorskip("benchmarks.speech_heard")
tune = pytest.importorskip("benchmarks.speech_tune")
lsa = pytest.importorskip("benchmarks.speech_lsa")


def held_out_questions() -> set[str]:
    out = set()
    for path in (EVAL, SPEECH_DEV):
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                out |= {
                    normalise_en(r["text"]) for r in csv.DictReader(fh) if r["language"] == "en"
                }
    return out


def test_heard_text_is_spoken_from_training_templates_never_from_held_out_questions() -> None:
    spoken = heard.sample(heard.PER_LABEL, heard.SEED)
    assert {label for _, label in spoken} == set(labels())
    held_templates = {t for t, _ in tune.split()[1]}  # the tuning split's held-out sentences
    assert not {t for t, _ in spoken} & (held_out_questions() | held_templates)


def test_heard_text_is_spoken_by_voices_the_benchmark_does_not_use() -> None:
    assert not {voice for _, voice, _ in heard.VOICES} & BENCH_VOICES


def run(x: np.ndarray, cleaner: SpectralSubtractor, chunk: int = 1600) -> np.ndarray:
    parts = [cleaner.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    return np.concatenate([*parts, cleaner.finish()])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def test_log_mmse_keeps_every_sample_turns_hiss_down_and_keeps_a_tone() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(48_000) / 16_000
    hiss = rng.normal(0.0, 300.0, len(t))
    tone = np.where(t > 1.5, 3000.0 * np.sin(2 * np.pi * 440 * t), 0.0)
    out = run(hiss + tone, lsa.LogMmse(), 7)
    assert len(out) == len(t)
    assert rms(out[4000:20_000]) < 0.5 * rms(hiss[4000:20_000])
    assert 0.8 < rms(out[32_000:44_000]) / rms(tone[32_000:44_000]) < 1.2


def test_log_mmse_follows_noise_that_gets_louder_where_the_minimum_does_not() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0.0, 300.0, 16_000), rng.normal(0.0, 1000.0, 32_000)])
    late = slice(24_000, 40_000)  # from 0.5 s after the rise
    assert rms(run(x, lsa.LogMmse())[late]) < 0.5 * rms(x[late])
    assert rms(run(x, SpectralSubtractor())[late]) > 0.8 * rms(x[late])


def test_the_tuning_switch_puts_log_mmse_in_front_of_decoders_and_takes_it_out_again() -> None:
    with lsa.suppressor("lsa:floor=0.25"):
        made = denoise.make("subtract")
        assert isinstance(made, lsa.LogMmse) and made.FLOOR == 0.25
    assert type(denoise.make("subtract")) is SpectralSubtractor
    with lsa.suppressor("rnnoise"):  # the served front ends are not swapped
        assert type(denoise.make("subtract")) is SpectralSubtractor
    with pytest.raises(ValueError):
        lsa.suppressor("wiener").__enter__()


mask_tool = pytest.importorskip("benchmarks.speech_mask")


def test_the_babble_mask_is_trained_on_training_templates_and_other_talkers_only() -> None:
    spoken = heard.sample(60, mask_tool.SEED)  # `speech_mask.py train` defaults
    held_templates = {t for t, _ in tune.split()[1]}
    assert not {t for t, _ in spoken} & (held_out_questions() | held_templates)
    bench_talkers = {"en-us", "en-gb+f3", "en-us+m3", "en-gb-x-rp+f2", "en-us+f4", "en-gb+m2"}
    assert not set(heard.TALKERS + heard.MORE_TALKERS) & bench_talkers  # synth.babble()'s voices
    assert not {v for _, v, _ in heard.VOICES} & set(heard.MORE_TALKERS)  # not the askers'


def test_varied_crowds_start_with_the_served_masks_crowd_and_then_differ(tmp_path: Path) -> None:
    pool = heard.crowds(tmp_path, 2.0, 3, mask_tool.SEED)
    assert len(pool) == 3 and all(len(c) == 32_000 for c in pool)
    np.testing.assert_array_equal(pool[0], heard.crowd(tmp_path, 2.0))
    assert not np.allclose(pool[1], pool[0]) and not np.allclose(pool[2], pool[1])


def test_the_streaming_look_ahead_mask_gives_what_the_whole_utterance_gives_at_once() -> None:
    """The served mask with look-ahead (denoise.LearnedMask on babble-mask-ahead.npz) streams
    frame by frame; offline, all the frames' inputs are stacked with speech_mask.ahead (as for
    training) and masked at once. The two agree, and the causal mask is the same code."""
    from recognition.speech import mask

    rng = np.random.default_rng(1)
    window = np.sqrt(np.hanning(denoise.FRAME + 1)[:-1])
    for n in (32_000, 31_744, 700):  # a whole number of hops, not, and under two frames
        x = rng.normal(0.0, 3000.0, n)
        for path in (mask.AHEAD_MODEL, mask.MODEL):
            net = mask.net(path)
            spec = mask_tool.spectra(np.concatenate([x, np.zeros(denoise.FRAME)]))
            feats = mask.Features()
            rows = np.stack([feats.next(p) for p in np.abs(spec) ** 2])
            bands = net(mask_tool.ahead(rows, net.lookahead))
            gains = np.maximum(bands @ mask.SPREAD, mask.FLOOR)
            frames = np.fft.irfft(spec * gains, denoise.FRAME, axis=1) * window
            offline = np.zeros(len(frames) * denoise.HOP + denoise.FRAME)
            for i, frame in enumerate(frames):
                offline[i * denoise.HOP : i * denoise.HOP + denoise.FRAME] += frame
            np.testing.assert_allclose(run(x, denoise.LearnedMask(path)), offline[:n], atol=1e-6)
    rows = mask_tool.ahead(np.arange(12.0).reshape(3, 4).repeat(61, axis=1)[:, :241], 2)
    assert rows.shape == (3, 241 + 2 * 40)
    assert rows[2, 241:].sum() == 0  # nothing after the last frame


def test_the_tuning_switch_puts_another_mask_in_and_takes_it_out_again(tmp_path: Path) -> None:
    from recognition.speech import mask

    served = mask.MODEL, mask.AHEAD_MODEL
    with mask_tool.masked(str(tmp_path / "other.npz")):
        assert mask.MODEL == mask.AHEAD_MODEL == tmp_path / "other.npz"
    with mask_tool.masked(str(tmp_path / "other.npz"), ("AHEAD_MODEL",)):
        assert (served[0], tmp_path / "other.npz") == (mask.MODEL, mask.AHEAD_MODEL)
    assert served == (mask.MODEL, mask.AHEAD_MODEL)
