"""Streaming spectral subtraction: steady background noise taken out before PocketSphinx hears it.

Short-time spectra (512-sample frames, 256-sample hop, square-root Hann window for analysis and
synthesis, so the overlap-add gives the input back when nothing is taken out). The noise
spectrum is the minimum, over the last 1.5 s, of each frequency's smoothed power times a bias
factor (minimum statistics: speech pauses show the floor); each frame keeps
max(1 - ALPHA x noise / power, FLOOR) of its power. Causal: output lags input by 256 samples
(16 ms). It helps with steady noise (fans, hum, white or pink hiss); babble changes too fast
for it (docs/speech.md has the measurements).
"""

from __future__ import annotations

from collections import deque

import numpy as np

FRAME = 512
HOP = 256
ALPHA = 2.0  # over-subtraction
FLOOR = 0.05  # least share of a frequency's power kept (limits "musical" noise)
BIAS = 3.0  # minimum of a noisy power track -> its mean
MEMORY_S = 1.5  # how far back the minimum looks
SMOOTH = 0.7  # power smoothing from frame to frame
RATE = 16000


class SpectralSubtractor:
    """Feed int16 samples as float arrays in any chunk sizes; get the cleaned samples back."""

    def __init__(self) -> None:
        self._window = np.sqrt(np.hanning(FRAME + 1)[:-1])
        self._pending = np.zeros(0)
        self._sum = np.zeros(FRAME)
        self._smooth: np.ndarray | None = None
        self._history: deque[np.ndarray] = deque(maxlen=int(MEMORY_S * RATE / HOP))
        self._taken = 0
        self._given = 0

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Cleaned samples for as much of the input as whole frames allow."""
        self._taken += len(samples)
        self._pending = np.concatenate([self._pending, samples])
        out: list[np.ndarray] = []
        while len(self._pending) >= FRAME:
            out.append(self._frame(self._pending[:FRAME]))
            self._pending = self._pending[HOP:]
        return self._give(np.concatenate(out) if out else np.zeros(0))

    def finish(self) -> np.ndarray:
        """The rest of the cleaned samples (the input so far, all of it, comes out)."""
        out: list[np.ndarray] = []
        while self._given + HOP * len(out) < self._taken:
            frame = np.concatenate([self._pending, np.zeros(FRAME)])[:FRAME]
            out.append(self._frame(frame))
            self._pending = self._pending[HOP:]
        tail = np.concatenate(out) if out else np.zeros(0)
        return self._give(tail[: self._taken - self._given])

    def _give(self, samples: np.ndarray) -> np.ndarray:
        self._given += len(samples)
        return samples

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft(frame * self._window)
        power = np.abs(spectrum) ** 2
        smooth = power if self._smooth is None else SMOOTH * self._smooth + (1 - SMOOTH) * power
        self._smooth = smooth
        self._history.append(smooth)
        noise = BIAS * np.min(np.stack(self._history), axis=0)
        gain = np.maximum(1.0 - ALPHA * noise / np.maximum(power, 1e-9), FLOOR)
        self._sum += np.fft.irfft(spectrum * np.sqrt(gain), FRAME) * self._window
        ready, self._sum = self._sum[:HOP].copy(), np.concatenate([self._sum[HOP:], np.zeros(HOP)])
        return ready
