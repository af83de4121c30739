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
    # Looser bound for template updates (recognition.face.update): how far a capture after a
    # verified code pass may be from the person's own templates; None: updates are not made.
    update_distance: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Operating points per engine, shipped in thresholds.json beside this module: written by
# `python run.py calibrate-faces` on the calibration half of the development photos (see that
# file's "calibration" entry and docs/face.md). An instance file (<instance>/face_thresholds.json,
# or FACE_THRESHOLDS_PATH) written by calibrate-faces overrides them for its own engine.
SHIPPED = Path(__file__).resolve().parent / "thresholds.json"
# dlib's point before issue 14 (calibrated on the shared Western photos): the last resort.
DEFAULT_THRESHOLDS = Thresholds(distance=0.49, margin=0.12, source="built-in (shared set)")


def shipped_thresholds(engine: str) -> Thresholds:
    """The operating point shipped for one engine (dlib's old one if the file lacks it)."""
    data = json.loads(SHIPPED.read_text()) if SHIPPED.exists() else {}
    point = data.get(engine)
    if point is None:
        return DEFAULT_THRESHOLDS
    return _point(point, f"shipped {engine}")


def _point(data: dict[str, Any], source: str) -> Thresholds:
    update = data.get("update_distance")
    return Thresholds(
        float(data["distance"]),
        float(data["margin"]),
        source,
        None if update is None else float(update),
    )


def load_thresholds(path: Path | None, engine: str = "dlib") -> Thresholds:
    """The instance's calibrated point when it was made for this engine, else the shipped one.

    A file without an "engine" key predates engines and holds dlib's point.
    """
    if path is not None and path.exists():
        data = json.loads(path.read_text())
        if data.get("engine", "dlib") == engine:
            return _point(data, f"file {path.name}")
    return shipped_thresholds(engine)


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
