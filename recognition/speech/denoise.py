"""Noise taken out before PocketSphinx hears it: the front ends, and streaming spectral subtraction.

`front_end()` names the one in use: SPEECH_DENOISE = "auto" (the default, `Adaptive` below:
nothing in quiet rooms, RNNoise in steady noise, the learned babble masks in crowds),
"auto-subtract" (auto as served until 2026-12-02, spectral subtraction where auto now masks),
"rnnoise" (RNNoise, a small network trained on real speech and noise, rnnoise.py), "mask" (the
learned babble mask, mask.py, `LearnedMask` below), "subtract" (the spectral subtraction below,
served alone until 2026-12-01, and what "auto" becomes when RNNoise's library is not installed)
or "off".
`make(kind)` gives one utterance's suppressor. docs/speech.md has the measurements.

Spectral subtraction:

Short-time spectra (512-sample frames, 256-sample hop, square-root Hann window for analysis and
synthesis, so the overlap-add gives the input back when nothing is taken out). The noise
spectrum is the minimum, over the last 1.5 s, of each frequency's smoothed power times a bias
factor (minimum statistics: speech pauses show the floor); each frame keeps
max(1 - ALPHA x noise / power, FLOOR) of its power. Causal: output lags input by 256 samples
(16 ms). It helps with steady noise (fans, hum, white or pink hiss); babble changes too fast
for it (docs/speech.md has the measurements).
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from pathlib import Path
from typing import Protocol

import numpy as np

from recognition.speech import audio, mask, rnnoise
from recognition.speech.errors import SpeechUnavailable

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
        return self._add(spectrum * self._gain(np.abs(spectrum) ** 2))

    def _add(self, spectrum: np.ndarray) -> np.ndarray:
        """Overlap-add a cleaned frame; the next HOP samples are then final."""
        self._sum += np.fft.irfft(spectrum, FRAME) * self._window
        ready, self._sum = self._sum[:HOP].copy(), np.concatenate([self._sum[HOP:], np.zeros(HOP)])
        return ready

    def _gain(self, power: np.ndarray) -> np.ndarray:
        """Each bin's amplitude gain for a frame of bin powers (subclasses give other gains)."""
        smooth = power if self._smooth is None else SMOOTH * self._smooth + (1 - SMOOTH) * power
        self._smooth = smooth
        self._history.append(smooth)
        noise = BIAS * np.min(np.stack(self._history), axis=0)
        return np.asarray(np.sqrt(np.maximum(1.0 - ALPHA * noise / np.maximum(power, 1e-9), FLOOR)))


class LearnedMask(SpectralSubtractor):
    """The subtractor's streaming frames, with the gains of a babble mask (mask.py, `path`:
    mask.MODEL unless given) instead. A mask trained with look-ahead reads the bands of the
    frames after each one, so each frame comes out that many frames (16 ms each) later."""

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self._path = path or mask.MODEL
        self._ahead = mask.net(self._path).lookahead
        self._features = mask.Features()
        self._queue: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (spectrum, inputs)
        self._analysed = 0

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft(frame * self._window)
        self._queue.append((spectrum, self._features.next(np.abs(spectrum) ** 2)))
        self._analysed += 1
        return self._emit() if len(self._queue) > self._ahead else np.zeros(0)

    def _emit(self) -> np.ndarray:
        spectrum, row = self._queue.popleft()
        later = [r for _, r in itertools.islice(self._queue, self._ahead)]
        x = mask.with_ahead(row, later, self._ahead)
        return self._add(spectrum * mask.gains(x, self._path))

    def finish(self) -> np.ndarray:
        """The rest: frames over the zero-padded end (one whose start is past the input
        included, as the mask was trained), then those still waiting for later frames."""
        out: list[np.ndarray] = []
        while self._analysed < 1 + self._taken // HOP:
            frame = np.concatenate([self._pending, np.zeros(FRAME)])[:FRAME]
            out.append(self._frame(frame))
            self._pending = self._pending[HOP:]
        out += [self._emit() for _ in range(len(self._queue))]
        tail = np.concatenate(out) if out else np.zeros(0)
        return self._give(tail[: self._taken - self._given])


FRONT_ENDS = ("auto", "auto-subtract", "rnnoise", "mask", "subtract", "off")
LEAD = 4000  # samples (250 ms) heard before `Adaptive` chooses
QUIET_RMS = 100.0  # int16 RMS (-50 dBFS): below it the lead is a quiet room
VOICE_LIKE = 0.6  # RNNoise's mean voice probability over the lead above which noise is babble
WINDOW = 24000  # samples (1.5 s) heard at most before choosing, when the lead is not quiet
CLEAR_DB = 28.0  # louder over quieter 30 ms frames in that window: a clear voice, left untouched


def level_spread(samples: np.ndarray) -> float:
    """audio.level_spread of float samples (int16 scale): louder over quieter 30 ms frames."""
    return audio.level_spread(np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes())


class Suppressor(Protocol):
    def process(self, samples: np.ndarray) -> np.ndarray: ...

    def finish(self) -> np.ndarray: ...


class Adaptive:
    """RNNoise where the room's noise is steady, the babble masks (or subtraction) elsewhere.

    On the tuning split (docs/speech.md) RNNoise gained 13 points of intents right in white and
    pink noise at 10 dB, and nothing clear in a quiet room (-2) or in crowd babble (+2, within
    the swing): it is trained to keep voices, and babble is voices. So the first 250 ms of an
    utterance (before the asker speaks, at a kiosk) are heard; then one suppressor is kept:
    when that lead is quiet (RMS below -50 dBFS), none: the audio passes untouched (since
    2026-12-03; until then the learned mask, which cost recorded human speech words:
    docs/speech.md "A quiet room passes untouched"). A lead that is not quiet may be the room's
    noise or the asker already speaking, so the front end goes on hearing up to 1.5 s: when
    the louder 30 ms frames by then stand CLEAR_DB (28 dB) or more above the quieter ones
    (90th and 10th percentiles, as audio.speech_over_noise; every synthetic question of the
    tuning split at 20 dB or less spreads less), the room is quiet enough and the audio passes
    untouched (recorded people lost words to the suppressors there: docs/speech.md "A clear
    voice passes untouched"). Otherwise, when the lead sounds like voices to RNNoise (mean voice
    probability >= 0.6: babble, or an asker who spoke at once), the mask with look-ahead
    (mask.AHEAD_MODEL; the causal mask without that file, spectral subtraction with
    `other="subtract"` or without the mask's file); RNNoise otherwise. The decoder hears
    nothing until the choice, then the chosen output from the start.

    Only RNNoise hears the lead as it comes (its voice probability decides); the rest is held as
    it came, and only the suppressor kept runs over it once chosen (RNNoise continuing where it
    stopped; the others from the start), so no CPU goes to the suppressors not kept (until
    2026-12-03 all of them ran on everything heard before the choice). The output is what the
    kept suppressor gives alone (tests/speech/test_rnnoise.py).
    """

    def __init__(self, other: str = "mask") -> None:
        other = other if other == "subtract" or mask.available() else "subtract"
        self._quiet = "off"  # kept for a quiet lead: nothing to take out, and it would cost words
        ahead = other == "mask" and mask.available(mask.AHEAD_MODEL)
        self._voices = "mask-ahead" if ahead else other  # kept for a voice-like lead
        self._rnnoise = rnnoise.RnnoiseSuppressor()  # hears the lead as it comes
        self._kept: Suppressor | None = None
        self._lead: list[np.ndarray] = []  # all the input until the choice
        self._cleaned: list[np.ndarray] = []  # RNNoise's output for the lead
        self._heard = 0  # samples in self._lead
        self.chosen = ""  # "off", "rnnoise", "mask", "mask-ahead" or "subtract" once chosen
        self._lead_quiet: bool | None = None  # the lead's verdict, once all of it is heard

    def process(self, samples: np.ndarray) -> np.ndarray:
        if self._kept is not None:
            return self._kept.process(samples)
        if self._heard < LEAD:
            self._cleaned.append(self._rnnoise.process(samples[: LEAD - self._heard]))
        self._lead.append(samples)
        self._heard += len(samples)
        if self._heard < LEAD or (self._heard < WINDOW and not self._quiet_lead()):
            return np.zeros(0)
        return self._choose()

    def finish(self) -> np.ndarray:
        held = self._choose() if self._kept is None else np.zeros(0)
        assert self._kept is not None
        return np.concatenate([held, self._kept.finish()])

    def _quiet_lead(self) -> bool:
        if self._lead_quiet is not None:
            return self._lead_quiet
        lead = np.concatenate(self._lead)[:LEAD] if self._lead else np.zeros(0)
        quiet = not len(lead) or float(np.sqrt(np.mean(lead**2))) < QUIET_RMS
        if len(lead) == LEAD:  # kept once the whole lead is heard (not for a shorter utterance)
            self._lead_quiet = quiet
        return quiet

    def _choose(self) -> np.ndarray:
        heard = np.concatenate(self._lead) if self._lead else np.zeros(0)
        voice = self._rnnoise.voice[: LEAD * rnnoise.UP // rnnoise.FRAME] or [1.0]  # 25 of 10 ms
        quiet = self._quiet_lead() or level_spread(heard[:WINDOW]) >= CLEAR_DB
        voices = not quiet and float(np.mean(voice)) >= VOICE_LIKE
        self.chosen = self._quiet if quiet else self._voices if voices else "rnnoise"
        if self.chosen == "rnnoise":  # it has heard the lead: the rest, then on as it comes
            self._kept = self._rnnoise
            out = [*self._cleaned, self._rnnoise.process(heard[LEAD:])]
        else:
            self._kept = _suppressor(self.chosen)
            out = [self._kept.process(heard)]
        self._lead, self._cleaned = [], []
        return np.concatenate(out)


class Passthrough:
    """No suppression: the samples as they came."""

    def process(self, samples: np.ndarray) -> np.ndarray:
        return samples

    def finish(self) -> np.ndarray:
        return np.zeros(0)


def _suppressor(kind: str) -> Suppressor:
    if kind == "off":
        return Passthrough()
    if kind == "rnnoise":
        return rnnoise.RnnoiseSuppressor()
    if kind == "mask":
        return LearnedMask()
    if kind == "mask-ahead":
        return LearnedMask(mask.AHEAD_MODEL)
    if kind == "subtract":
        return SpectralSubtractor()
    raise ValueError(f"unknown noise front end {kind!r}")


def front_end() -> str:
    """SPEECH_DENOISE ("auto" when unset); "subtract" for "auto", "auto-subtract" or "rnnoise"
    when RNNoise is not installed; without the mask's file "auto-subtract" for "auto" and
    "subtract" for "mask" (so the console names what really runs)."""
    name = os.environ.get("SPEECH_DENOISE", "").strip().lower() or "auto"
    if name not in FRONT_ENDS:
        raise SpeechUnavailable(
            f"SPEECH_DENOISE must be one of {', '.join(FRONT_ENDS)}, not {name!r}",
            "engine_missing",
        )
    if name in ("auto", "auto-subtract", "rnnoise") and not rnnoise.available():
        return "subtract"
    if not mask.available():
        return {"auto": "auto-subtract", "mask": "subtract"}.get(name, name)
    return name


def make(kind: str) -> Suppressor | None:
    """A fresh suppressor of `kind` (one of FRONT_ENDS, or "mask-ahead": the look-ahead mask
    alone, as auto keeps it) for one utterance; None for "off"."""
    if kind == "auto":
        return Adaptive()
    if kind == "auto-subtract":
        return Adaptive("subtract")
    if kind == "off":
        return None
    return _suppressor(kind)
