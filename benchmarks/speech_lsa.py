"""A log-MMSE noise suppressor, tried against denoise.py's spectral subtraction and not adopted.

The Ephraim-Malah MMSE log-spectral-amplitude gain with a decision-directed a-priori SNR, and a
noise estimate that follows the noise frame by frame through the speech presence probability
(Gerkmann & Hendriks 2012, "Unbiased MMSE-based noise power estimation with low complexity"),
so it can follow babble better than a 1.5 s minimum. Same frames, window, 16 ms delay and
streaming interface as `SpectralSubtractor`; about the same CPU (about 1% of a core).
On the tuning split (benchmarks/speech_tune.py, 2026-12-01) it was not better: intents right
clean 83.9% -> 83.3%, white 10 dB 62.5% -> 55.7%, babble 10 dB 44.8% -> 46.4% (floor 0.25:
82.3%, 54.2%, 50.0%), so the served system keeps spectral subtraction (docs/speech.md).
`speech_tune.py decode --denoise lsa[:floor=0.25,...]` puts it in front of the decoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy.special import exp1

from recognition.speech import denoise
from recognition.speech.denoise import SpectralSubtractor


class LogMmse(SpectralSubtractor):
    """MMSE log-spectral-amplitude gain, decision-directed a-priori SNR, SPP noise tracking."""

    XI_H1 = 10**1.5  # a-priori SNR assumed where speech is present (15 dB, Gerkmann-Hendriks)
    DD = 0.98  # decision-directed smoothing of the a-priori SNR
    XI_MIN = 10 ** (-15 / 10)  # least a-priori SNR (limits musical noise)
    FLOOR = 0.1  # least amplitude gain
    NOISE_STEP = 0.2  # how far the noise estimate moves towards a noise-only frame
    START_FRAMES = 4  # frames averaged for the first noise estimate

    def __init__(self) -> None:
        super().__init__()
        self._noise: np.ndarray | None = None
        self._seen = 0
        self._spp_mean: np.ndarray | None = None
        self._last: np.ndarray | None = None  # last frame's clean power estimate

    def _track(self, power: np.ndarray) -> np.ndarray:
        if self._noise is None or self._seen < self.START_FRAMES:
            n = self._seen
            self._noise = power if self._noise is None else (self._noise * n + power) / (n + 1)
            self._seen += 1
            return self._noise
        post = power / np.maximum(self._noise, 1e-9)
        spp = 1.0 / (1.0 + (1 + self.XI_H1) * np.exp(-post * self.XI_H1 / (1 + self.XI_H1)))
        mean = spp if self._spp_mean is None else 0.9 * self._spp_mean + 0.1 * spp
        self._spp_mean = mean
        spp = np.where(mean > 0.99, np.minimum(spp, 0.99), spp)  # never stuck at "speech"
        expected = (1 - spp) * power + spp * self._noise
        self._noise = (1 - self.NOISE_STEP) * self._noise + self.NOISE_STEP * expected
        return self._noise

    def _gain(self, power: np.ndarray) -> np.ndarray:
        noise = np.maximum(self._track(power), 1e-9)
        post = np.minimum(power / noise, 1e4)
        fresh = np.maximum(post - 1.0, 0.0)
        xi = fresh if self._last is None else self.DD * self._last / noise + (1 - self.DD) * fresh
        xi = np.maximum(xi, self.XI_MIN)
        v = np.maximum(xi * post / (1 + xi), 1e-8)
        gain = np.clip(xi / (1 + xi) * np.exp(0.5 * exp1(v)), self.FLOOR, 1.0)
        self._last = gain**2 * power
        return np.asarray(gain)


SWAPPED = "SpectralSubtractor"  # the name denoise.make builds a "subtract" front end from


@contextmanager
def suppressor(kind: str) -> Iterator[None]:
    """Inside, `denoise.make("subtract")` gives `kind` when it is "lsa[:floor=..]" (decoders
    given the "subtract" front end hear through it); other kinds change nothing."""
    name, _, settings = kind.partition(":")
    if name != "lsa":
        if settings or name not in denoise.FRONT_ENDS:
            raise ValueError(f"unknown denoiser {kind!r}")
        yield
        return
    values = {k.upper(): float(v) for k, v in (s.split("=", 1) for s in settings.split(",") if s)}
    tuned = type("TunedLogMmse", (LogMmse,), values)
    served = vars(denoise)[SWAPPED]
    setattr(denoise, SWAPPED, tuned)
    try:
        yield
    finally:
        setattr(denoise, SWAPPED, served)
