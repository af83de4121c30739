"""Liveness for camera streams: frozen/repeated frames, and a blink with a per-person threshold.

Eye aspect ratio (EAR, Soukupova & Cech 2016) falls towards 0 when the eye closes. People's
open-eye EAR differs a lot, so the threshold is not fixed: it is a fraction of this face's own
open-eye level (a high percentile of its recent EAR). A blink is a dip below that fraction
lasting at most `max_blink` seconds followed by a recovery. A printed or on-screen photo held
to the camera keeps its EAR: landmark jitter alone stays far above the dip fraction.
A camera's sensor noise makes two real frames differ; identical frames mean a frozen or
replayed feed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from recognition.face.engine import LEFT_EYE, RIGHT_EYE


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean EAR of both eyes from 68-point landmarks."""
    return float((_ear(landmarks[RIGHT_EYE]) + _ear(landmarks[LEFT_EYE])) / 2)


def _ear(eye: np.ndarray) -> float:
    vertical = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
    horizontal = float(np.linalg.norm(eye[0] - eye[3]))
    return vertical / (2.0 * max(horizontal, 1e-6))


def frame_signature(rgb: np.ndarray) -> np.ndarray:
    """A small greyscale thumbnail used to spot repeated frames."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (64, 48), interpolation=cv2.INTER_AREA).astype(np.float32)


@dataclass(frozen=True)
class LivenessConfig:
    close_fraction: float = 0.72  # a blink dips below this fraction of the open-eye EAR
    open_fraction: float = 0.88  # ... and comes back above this one
    max_blink: float = 0.6  # seconds; longer closures are not blinks
    warmup_frames: int = 4  # frames needed to learn the open-eye level first
    repeat_epsilon: float = 0.3  # mean grey-level difference below which frames are "the same"
    max_repeats: int = 2
    turn_shift: float = 0.2  # yaw change (eye distances) that answers a head-turn challenge
    # ... on this many frames in a row: a single frame's landmarks can jump that far on a held
    # photo (docs/face.md, "Liveness measured on held photos"), a turned head stays turned
    turn_frames: int = 2


class BlinkDetector:
    """Feeds EAR values over time; `passed` becomes True after one well-formed blink."""

    def __init__(self, cfg: LivenessConfig = LivenessConfig()) -> None:
        self.cfg = cfg
        self.history: deque[float] = deque(maxlen=30)
        self.closed_at: float | None = None
        self.passed = False

    def open_level(self) -> float:
        return float(np.percentile(np.array(self.history), 80)) if self.history else 0.0

    def feed(self, ear: float, t: float) -> bool:
        """Record one frame's EAR at time t; returns whether a blink has been seen."""
        if self.passed:
            return True
        level = self.open_level()
        ready = len(self.history) >= self.cfg.warmup_frames and level > 0
        if ready and self.closed_at is None and ear < level * self.cfg.close_fraction:
            self.closed_at = t
        elif self.closed_at is not None and ear > level * self.cfg.open_fraction:
            self.passed = t - self.closed_at <= self.cfg.max_blink
            self.closed_at = None
        if self.closed_at is None:
            self.history.append(ear)  # closed-eye frames must not lower the open-eye level
        return self.passed


class TurnChallenge:
    """A randomised "turn your head left/right" request, answered by a real change of yaw."""

    def __init__(self, direction: str, cfg: LivenessConfig = LivenessConfig()) -> None:
        if direction not in ("left", "right"):
            raise ValueError("direction must be left or right")
        self.direction, self.cfg = direction, cfg
        self.start: list[float] = []
        self.turned = 0  # frames in a row turned far enough
        self.passed = False

    def feed(self, yaw: float) -> bool:
        """Record one frame's yaw (see engine.yaw_ratio); True once the turn has been made."""
        if len(self.start) < self.cfg.warmup_frames:
            self.start.append(yaw)
            return False
        # The person's own right is negative yaw in an unmirrored camera image.
        wanted = -1.0 if self.direction == "right" else 1.0
        shift = (yaw - float(np.median(self.start))) * wanted
        self.turned = self.turned + 1 if shift >= self.cfg.turn_shift else 0
        self.passed = self.passed or self.turned >= self.cfg.turn_frames
        return self.passed


class RepeatDetector:
    """Counts consecutive frames that are (nearly) pixel-identical to the previous one."""

    def __init__(self, cfg: LivenessConfig = LivenessConfig()) -> None:
        self.cfg = cfg
        self.previous: np.ndarray | None = None
        self.repeats = 0

    def feed(self, rgb: np.ndarray) -> bool:
        """True once more than `max_repeats` identical frames in a row have been seen."""
        sig = frame_signature(rgb)
        if self.previous is not None and sig.shape == self.previous.shape:
            same = float(np.abs(sig - self.previous).mean()) < self.cfg.repeat_epsilon
            self.repeats = self.repeats + 1 if same else 0
        self.previous = sig
        return self.repeats >= self.cfg.max_repeats
