"""The learned babble mask: how much of each band of a frame is the asker's voice.

A small network (two hidden layers of 256, ReLU; 137k weights in `babble-mask.npz`, float32)
reads the log-mel bands (40) of the current frame and the five before it, each minus the running
mean of the utterance so far, plus the frame's overall level, and gives each band a gain in
(0, 1): its estimate of the ideal ratio mask sqrt(S / (S + N)). Causal, so it streams with the
spectral subtractor's frames (denoise.LearnedMask) and its 16 ms delay; about 0.1 ms of one
core per 16 ms frame. A second network (`babble-mask-ahead.npz`, the file's `lookahead` = 3)
also reads the bands of the three frames after the current one, so its frames come out 48 ms
later; `auto` keeps it for utterances that start in babble (denoise.Adaptive).

It was trained by benchmarks/speech_mask.py on training-corpus sentences of the tuning split's
training templates, spoken in voices no benchmark uses, mixed with babble of talkers and lines
no benchmark uses at 0-20 dB: never the evaluation questions or the development set.
docs/speech.md has the measurements.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

MODEL = Path(__file__).with_name("babble-mask.npz")
# trained with three frames (48 ms) of look-ahead, for utterances that start in babble (denoise.py)
AHEAD_MODEL = Path(__file__).with_name("babble-mask-ahead.npz")
RATE = 16000
FRAME = 512  # denoise.FRAME: the bins are FRAME // 2 + 1
BANDS = 40
CONTEXT = 6  # frames: the current one and five before it
FLOOR = 0.1  # least amplitude gain


def mel_bank(bands: int = BANDS) -> np.ndarray:
    """Triangular mel filters, (bands, FRAME // 2 + 1)."""
    top = 2595.0 * np.log10(1.0 + RATE / 2 / 700.0)
    edges = 700.0 * (10 ** (np.linspace(0.0, top, bands + 2) / 2595.0) - 1.0)
    freqs = np.linspace(0.0, RATE / 2, FRAME // 2 + 1)
    bank = np.zeros((bands, len(freqs)))
    for b in range(bands):
        lo, mid, hi = edges[b : b + 3]
        bank[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, 1)
    return bank


BANK = mel_bank()
SPREAD = BANK / np.maximum(BANK.sum(axis=0), 1e-9)  # band gains -> bin gains


class Features:
    """One utterance's network inputs, frame by frame (causal)."""

    def __init__(self) -> None:
        self._sum = np.zeros(BANDS)
        self._n = 0
        self._past = [np.zeros(BANDS)] * (CONTEXT - 1)

    def next(self, power: np.ndarray) -> np.ndarray:
        """The inputs for a frame of bin powers (FRAME // 2 + 1)."""
        logmel = np.log10(BANK @ power + 1.0)
        self._sum += logmel
        self._n += 1
        now = logmel - self._sum / self._n
        stacked = np.concatenate([now, *self._past[::-1], [logmel.mean() / 10.0]])
        self._past = [*self._past[1:], now]
        return stacked


class Net:
    """The trained perceptron: input scaling, ReLU hidden layers, logistic output."""

    def __init__(self, path: Path) -> None:
        with np.load(path) as data:
            self.mean, self.scale = data["mean"], data["scale"]
            n = sum(1 for k in data.files if k.startswith("w"))
            self.layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(n)]
            # frames after the current one whose bands it reads (0: causal)
            self.lookahead = int(data["lookahead"]) if "lookahead" in data.files else 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h = (x - self.mean) / self.scale
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            h = np.maximum(h, 0.0) if i < len(self.layers) - 1 else 1.0 / (1.0 + np.exp(-h))
        return np.asarray(h)


def available(path: Path | None = None) -> bool:
    return (path or MODEL).is_file()


def net(path: Path | None = None) -> Net:
    """The mask's network (`path`, or MODEL as it is now; loaded once per file)."""
    return _load(path or MODEL)


@cache
def _load(path: Path) -> Net:
    return Net(path)


def with_ahead(row: np.ndarray, later: list[np.ndarray], lookahead: int) -> np.ndarray:
    """A frame's causal inputs with the bands (now, minus the running mean) of the next
    `lookahead` frames' inputs in `later` appended; zeros past the utterance's last frame."""
    future = [r[:BANDS] for r in later[:lookahead]]
    future += [np.zeros(BANDS)] * (lookahead - len(future))
    return np.concatenate([row, *future])


def gains(x: np.ndarray, path: Path | None = None) -> np.ndarray:
    """Amplitude gains for a frame's bins (FRAME // 2 + 1), at least FLOOR, from its inputs
    (Features.next, with_ahead for a look-ahead network)."""
    bands = net(path)(x)
    return np.asarray(np.maximum(bands @ SPREAD, FLOOR))
