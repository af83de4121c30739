"""Calibration and evaluation that do not grade themselves: folds by identity.

Photos come from one or more labelled folders (labels.csv with `file,identity[,kind]`); each
folder is a *set* (e.g. `faces_ea`, `faces`). Identities are dealt into two folds per set,
deterministically (sorted by a hash of set and name, then alternated), so both folds hold East
Asian and other faces. `calibrate` uses one fold only and records which identities it saw;
`evaluate` refuses to report on any of them.

Open-set protocol per fold (the issue's): every third identity (in fold order) is never
enrolled and all its photos are non-mated searches, as are the `stranger` photos; each other
identity enrols its first photo (or its first `enrol_photos` photos, averaged) and every other
photo is a mated search. Enrolment is simulated in order: a new person whose template lies
within the match threshold of someone already enrolled would be sent to staff review (counted:
`enrol_flagged`).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from recognition.face.decision import Thresholds, decide
from recognition.face.engine import ENROL, ENROL_JITTERS
from recognition.face.enrolment import combine
from recognition.face.errors import FaceError
from recognition.face.frame import analyse_frame, engine_for
from recognition.face.gallery import GalleryIndex
from recognition.face.images import decode_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass
class Photo:
    """One single-person photo, its largest face's vectors (plain and enrolment-grade)."""

    set: str
    file: str
    identity: str  # "<set>:<name>"
    stranger: bool
    probe: np.ndarray | None = None
    enrol: np.ndarray | None = None
    problem: str | None = None


@dataclass
class Fold:
    identities: list[str]
    photos: list[Photo] = field(default_factory=list)


def digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def read_photos(folder: Path) -> list[Photo]:
    """Single-person photos of a labelled folder (group photos are left out)."""
    path = folder / "labels.csv"
    if not path.exists():
        raise FaceError(f"{path} is missing (columns: file,identity)", "labels_missing", 400)
    name = folder.resolve().name
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ident, kind = row.get("identity") or "", row.get("kind") or ""
            if not row["file"].lower().endswith(IMAGE_SUFFIXES) or not ident or ";" in ident:
                continue
            if kind == "group" or ident == "unknown":
                continue
            out.append(Photo(name, row["file"], f"{name}:{ident}", kind == "stranger"))
    return out


def encode_photos(
    folders: list[Path], engine_name: str, progress: Callable[[int], None] | None = None
) -> list[Photo]:
    """Detect (thoroughly) and encode every photo's largest face, as probe and as enrolment."""
    photos: list[Photo] = []
    for folder in folders:
        for p in read_photos(folder):
            rgb = decode_image(
                (folder / p.file).read_bytes(), max_bytes=64 << 20, max_pixels=40_000_000
            )
            plain = analyse_frame(rgb, engine_name, ENROL, "none")
            if plain.faces:
                big = max(range(len(plain.faces)), key=lambda i: plain.faces[i].face.width)
                face = plain.faces[big]
                p.problem = face.problem
                eng = engine_for(engine_name)
                p.probe = eng.encode(rgb, face.face, 0)
                p.enrol = eng.encode(rgb, face.face, ENROL_JITTERS)
            else:
                p.problem = "no_face"
            photos.append(p)
            if progress:
                progress(1)
    return photos


def folds(photos: list[Photo]) -> tuple[Fold, Fold]:
    """Identities dealt alternately into two folds, per set, in hash order."""
    a, b = Fold([]), Fold([])
    for s in sorted({p.set for p in photos}):
        for kind in (False, True):  # people and strangers each split evenly
            names = sorted(
                {p.identity for p in photos if p.set == s and p.stranger == kind}, key=digest
            )
            for i, name in enumerate(names):
                (a if i % 2 == 0 else b).identities.append(name)
    for p in photos:
        (a if p.identity in a.identities else b).photos.append(p)
    return a, b


def pair_distances(photos: list[Photo]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances between the probe vectors of the given photos."""
    usable = [p for p in photos if p.probe is not None]
    vecs = np.array([p.probe for p in usable])
    labels = np.array([p.identity for p in usable])
    dist = np.linalg.norm(vecs[:, None] - vecs[None], axis=2)
    upper = np.triu_indices(len(usable), 1)
    same = labels[upper[0]] == labels[upper[1]]
    return dist[upper][same], dist[upper][~same]


@dataclass
class Outcome:
    """Counts of one open-set run, per set."""

    mated: dict[str, int] = field(default_factory=dict)
    identified: dict[str, int] = field(default_factory=dict)
    misidentified: dict[str, int] = field(default_factory=dict)
    non_mated: dict[str, int] = field(default_factory=dict)
    false_accepts: dict[str, int] = field(default_factory=dict)
    # why mated searches were missed, per set: no_face, a quality code, unknown, ambiguous
    missed: dict[str, dict[str, int]] = field(default_factory=dict)
    enrol_flagged: int = 0
    enrolled: int = 0

    def add(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in sorted(set(self.mated) | set(self.non_mated)):
            m, n = self.mated.get(s, 0), self.non_mated.get(s, 0)
            out[s] = {
                "mated_searches": m,
                "identified": self.identified.get(s, 0),
                "misidentified": self.misidentified.get(s, 0),
                "fnir": round(1 - self.identified.get(s, 0) / m, 4) if m else None,
                "non_mated_searches": n,
                "false_accepts": self.false_accepts.get(s, 0),
                "fpir": round(self.false_accepts.get(s, 0) / n, 4) if n else None,
                "missed_because": dict(sorted(self.missed.get(s, {}).items())),
            }
        out["enrolment"] = {"enrolled": self.enrolled, "flagged_as_duplicate": self.enrol_flagged}
        return out


def open_set(fold: Fold, t: Thresholds, enrol_photos: int = 1, unit: bool = True) -> Outcome:
    """Run the protocol on one fold at operating point t."""
    out = Outcome()
    by_id: dict[str, list[Photo]] = {}
    for p in fold.photos:
        by_id.setdefault(p.identity, []).append(p)
    people = [i for i in fold.identities if i in by_id and not by_id[i][0].stranger]
    never = set(people[2::3])
    index = GalleryIndex(_dim(fold.photos))
    names: list[str] = []
    probes: list[tuple[Photo, bool]] = []
    for ident in fold.identities:
        photos = by_id.get(ident, [])
        if ident in never or (photos and photos[0].stranger):
            probes += [(p, False) for p in photos]
            continue
        usable = [p for p in photos if p.enrol is not None and p.problem is None]
        chosen = usable[:enrol_photos]
        if not chosen:
            continue  # cannot enrol (no usable face): not counted either way
        vec = combine([p.enrol for p in chosen if p.enrol is not None], unit)
        near = index.search(vec)
        out.enrolled += 1
        if near is not None and near.distance <= t.distance:
            out.enrol_flagged += 1
        index.add(len(names), len(names), vec)
        names.append(ident)
        probes += [(p, True) for p in photos if p not in chosen]
    for p, mated in probes:
        decision, who = (p.problem or "no_face"), None
        if p.probe is not None and p.problem is None:
            m = index.search(p.probe)
            decision = decide(m, t)
            who = names[m.attendee_id] if m is not None else None
        if mated:
            out.add(out.mated, p.set)
            if decision == "match":
                out.add(out.identified if who == p.identity else out.misidentified, p.set)
            else:
                out.add(out.missed.setdefault(p.set, {}), decision)
        else:
            out.add(out.non_mated, p.set)
            if decision == "match":
                out.add(out.false_accepts, p.set)
    return out


def _dim(photos: list[Photo]) -> int:
    return next(len(p.probe) for p in photos if p.probe is not None)


MARGINS = tuple(round(0.01 * i, 2) for i in range(0, 21))


MIN_MARGIN = 0.03  # a floor the small folds cannot justify lowering: guards large galleries
UPDATE_FAR = 0.01  # per-comparison impostor rate of the template-update bound


def calibrate(
    fold: Fold, engine: str, target_far: float, unit: bool, enrol_photos: int = 1
) -> dict[str, Any]:
    """Threshold for a per-comparison false-accept rate (normal fit to the fold's impostor
    distances, never above the empirical quantile); margin: the smallest with no
    mis-identification in the fold's own open-set run (re-examined for each engine), at
    least MIN_MARGIN."""
    genuine, impostor = pair_distances(fold.photos)
    if len(genuine) < 2 or len(impostor) < 2:
        raise FaceError(
            "calibration needs several photos of several people", "too_few_identities", 400
        )
    z = NormalDist().inv_cdf(1 - target_far)
    normal = float(impostor.mean() - z * impostor.std())
    empirical = float(np.quantile(impostor, target_far))
    distance = float(np.floor(min(normal, empirical) * 100) / 100)
    # Template updates (recognition.face.update) accept a capture this far from the person's
    # own templates: the impostor distance at a per-comparison rate of UPDATE_FAR, found the
    # same way. It sits between the genuine distances the match threshold misses and the bulk
    # of different people; the verified code and the other checks carry the rest.
    z_update = NormalDist().inv_cdf(1 - UPDATE_FAR)
    update = min(impostor.mean() - z_update * impostor.std(), np.quantile(impostor, UPDATE_FAR))
    update_distance = max(distance, round(float(np.floor(update * 100) / 100), 2))
    margin = MARGINS[-1]
    for m in MARGINS:
        run = open_set(fold, Thresholds(distance, m), enrol_photos, unit)
        if sum(run.misidentified.values()) == 0:
            margin = max(m, MIN_MARGIN)
            break
    return {
        "engine": engine,
        "distance": distance,
        "margin": margin,
        "update_distance": update_distance,
        "update_far": UPDATE_FAR,
        "target_far": target_far,
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "impostor_min": round(float(impostor.min()), 4),
        "impostor_mean": round(float(impostor.mean()), 4),
        "impostor_sd": round(float(impostor.std()), 4),
        "genuine_median": round(float(np.median(genuine)), 4),
        "true_accept_rate_at_distance": round(float((genuine <= distance).mean()), 4),
        "calibrated_identities": sorted(digest(i) for i in fold.identities),
    }


def refuse_overlap(fold: Fold, point: dict[str, Any]) -> None:
    """eval-faces never reports on an identity its operating point was calibrated on."""
    seen = set(point.get("calibrated_identities", []))
    overlap = [i for i in fold.identities if digest(i) in seen]
    if overlap:
        raise FaceError(
            f"{len(overlap)} of these identities were used to calibrate this operating point; "
            "evaluate on the other fold or on other photos",
            "calibration_overlap",
            400,
        )
