"""The open-set decision rule and its calibrated operating point.

A face is a `match` only when the nearest identity is closer than a strict distance
threshold AND the nearest *other* identity is at least a margin further away. Otherwise it is
`unknown` (nobody close) or `ambiguous` (two people close): a gate answers both by asking for
the entrance code, so a stranger or a look-alike is never let in on the face alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from recognition.face.gallery import Match

DECISIONS = (
    "match",
    "unknown",
    "ambiguous",
    "no_face",
    "multiple_faces",
    "low_quality",
    "spoof_suspected",
)


@dataclass(frozen=True)
class Thresholds:
    """Operating point: maximum distance for a match and minimum margin to the runner-up."""

    distance: float
    margin: float
    source: str = "built-in"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# From `python run.py calibrate-faces ../shared/data/faces --target-fpir 0.01 --gallery-size 1000`
# (2026-11-27, dlib-bin 20.0.1, face_recognition_models 0.3.0, enrolment jitters 4): 74 genuine
# and 179 impostor pairs; a normal fitted to impostor distances (mean 0.829, sd 0.077) puts a
# per-comparison false-accept rate of 1e-5 (1% FPIR over 1,000 candidates) at 0.499, floored to
# 0.49 (the closest impostor pair was 0.666); the margin is one standard deviation of genuine
# distances, rounded up (0.12). The set is small and Western: recalibrate on a labelled set that
# looks like the real attendees before an event (East Asian faces lie closer together).
DEFAULT_THRESHOLDS = Thresholds(distance=0.49, margin=0.12, source="built-in (shared set)")


def load_thresholds(path: Path | None) -> Thresholds:
    """Thresholds written by calibrate-faces, or the built-in defaults when there are none."""
    if path is None or not path.exists():
        return DEFAULT_THRESHOLDS
    data = json.loads(path.read_text())
    return Thresholds(float(data["distance"]), float(data["margin"]), f"file {path.name}")


def decide(match: Match | None, t: Thresholds) -> str:
    """match, unknown or ambiguous for the nearest identities of one face."""
    if match is None or match.distance > t.distance:
        return "unknown"
    if match.second_distance is not None and match.second_distance - match.distance < t.margin:
        return "ambiguous"
    return "match"


@dataclass(frozen=True)
class Identification:
    """What identification concluded about one image or frame (never holds a template)."""

    decision: str
    attendee_id: int | None = None
    distance: float | None = None
    margin: float | None = None
    quality: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: decision, attendee id (match only), distance, margin, quality."""
        return {
            "decision": self.decision,
            "attendee_id": self.attendee_id if self.decision == "match" else None,
            "distance": None if self.distance is None else round(self.distance, 4),
            "margin": None if self.margin is None else round(self.margin, 4),
            "quality": dict(self.quality),
        }


def identification(match: Match | None, t: Thresholds, quality: dict[str, float]) -> Identification:
    """Apply the rule and package the outcome."""
    decision = decide(match, t)
    if match is None:
        return Identification(decision, quality=quality)
    margin = None if match.second_distance is None else match.second_distance - match.distance
    return Identification(
        decision,
        attendee_id=match.attendee_id if decision == "match" else None,
        distance=match.distance,
        margin=margin,
        quality=quality,
    )
