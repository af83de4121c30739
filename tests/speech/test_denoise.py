"""Spectral subtraction before PocketSphinx: steady noise out, everything else through."""

from __future__ import annotations

import numpy as np

from recognition.speech.denoise import SpectralSubtractor


def run(x: np.ndarray, chunk: int) -> np.ndarray:
    cleaner = SpectralSubtractor()
    parts = [cleaner.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    return np.concatenate([*parts, cleaner.finish()])


def test_every_sample_comes_out_whatever_the_chunk_size() -> None:
    x = np.random.default_rng(1).normal(0.0, 1000.0, 40_000)
    for chunk in (7, 1600, 3200):
        assert len(run(x, chunk)) == len(x)


def test_steady_hiss_is_turned_down_and_a_tone_above_it_is_kept() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(48_000) / 16_000
    hiss = rng.normal(0.0, 300.0, len(t))
    tone = np.where(t > 1.5, 3000.0 * np.sin(2 * np.pi * 440 * t), 0.0)  # "speech" after 1.5 s
    out = run(hiss + tone, 1600)
    before, after = slice(4000, 20_000), slice(32_000, 44_000)
    assert np.sqrt(np.mean(out[before] ** 2)) < 0.5 * np.sqrt(np.mean(hiss[before] ** 2))
    kept = np.sqrt(np.mean(out[after] ** 2)) / np.sqrt(np.mean(tone[after] ** 2))
    assert 0.8 < kept < 1.2
