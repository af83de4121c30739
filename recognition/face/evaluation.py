"""Calibration and open-set evaluation on a labelled folder (labels.csv: file,identity[,note]).

`identity` may list several people separated by ';' for group photos, with `unknown` for a
person who is never enrolled. Protocol (open set, as at a gate):
- gallery: the photos under `enroll/` (or, without that folder, each identity's first photo);
- mated searches: every other face of an enrolled identity; a match to the right person is a
  hit, to anyone else a mis-identification, unknown/ambiguous/low quality a miss (FNIR);
- non-mated searches: each identity in turn is left out of the gallery and all its faces are
  searched (plus the `unknown` faces of group photos); any match is a false positive (FPIR).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np

from recognition.face.engine import ENROL, ENROL_JITTERS, Engine
from recognition.face.errors import FaceError
from recognition.face.gallery import GalleryIndex
from recognition.face.images import decode_image
from recognition.face.quality import IDENTIFY_GATES, measure, problem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass
class Sample:
    """One labelled image with the faces found in it (vector, quality problem or None)."""

    file: str
    subset: str
    identities: list[str]
    vectors: list[np.ndarray] = field(default_factory=list)
    problems: list[str | None] = field(default_factory=list)


def read_labels(folder: Path) -> list[tuple[str, list[str]]]:
    """(relative file, identities) rows of labels.csv that name still images."""
    path = folder / "labels.csv"
    if not path.exists():
        raise FaceError(f"{path} is missing (columns: file,identity)", "labels_missing", 400)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [(r["file"], r["identity"].split(";")) for r in csv.DictReader(fh)]
    return [(f, ids) for f, ids in rows if f.lower().endswith(IMAGE_SUFFIXES)]


def encode_folder(folder: Path, engine: Engine, progress: bool = False) -> list[Sample]:
    """Detect and encode every face of every labelled image (thorough settings)."""
    from tqdm import tqdm

    samples = []
    for file, ids in tqdm(read_labels(folder), unit="img", disable=not progress):
        rgb = decode_image((folder / file).read_bytes(), max_bytes=64 * 1024 * 1024)
        subset = file.split("/")[0] if "/" in file else "photos"
        sample = Sample(file, subset, ids)
        for face in engine.detect(rgb, ENROL):
            failure = problem(measure(rgb, face), IDENTIFY_GATES)
            # Gallery photos are encoded as enrolment does (jittered), probes as a frame is.
            jitters = ENROL_JITTERS if subset == "enroll" else 0
            sample.vectors.append(engine.encode(rgb, face, jitters=jitters))
            sample.problems.append(None if failure is None else failure.code)
        samples.append(sample)
    return samples


def _singles(samples: Iterable[Sample]) -> list[tuple[str, np.ndarray]]:
    return [
        (s.identities[0], s.vectors[0])
        for s in samples
        if len(s.identities) == 1 and len(s.vectors) == 1 and s.identities[0] != "unknown"
    ]


def calibrate(samples: list[Sample], target_fpir: float, gallery_size: int) -> dict[str, float]:
    """Operating point for a target FPIR over `gallery_size` candidates (normal impostor tail)."""
    singles = _singles(samples)
    labels = [lab for lab, _ in singles]
    if len(set(labels)) < 2:
        raise FaceError("calibration needs at least two identities", "too_few_identities", 400)
    vecs = np.array([v for _, v in singles])
    dist = np.linalg.norm(vecs[:, None] - vecs[None], axis=2)
    upper = np.triu_indices(len(vecs), 1)
    same = np.array(labels)[upper[0]] == np.array(labels)[upper[1]]
    genuine, impostor = dist[upper][same], dist[upper][~same]
    # Union bound: the chance that any of N candidates falsely matches is about N times the
    # per-comparison rate, so the per-comparison target shrinks with the gallery.
    z = NormalDist().inv_cdf(1 - target_fpir / gallery_size)
    threshold = float(impostor.mean() - z * impostor.std())
    threshold = min(threshold, float(impostor.min()) - 0.02)
    margin = round(float(np.ceil(genuine.std() * 100)) / 100, 2) if len(genuine) > 1 else 0.1
    return {
        "distance": float(np.floor(threshold * 100) / 100),
        "margin": margin,
        "target_fpir": target_fpir,
        "gallery_size": gallery_size,
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "genuine_max": round(float(genuine.max()), 4) if len(genuine) else 0.0,
        "impostor_min": round(float(impostor.min()), 4),
        "impostor_mean": round(float(impostor.mean()), 4),
        "impostor_sd": round(float(impostor.std()), 4),
    }


@dataclass(frozen=True)
class Search:
    """One face searched against the gallery, with what was expected of it."""

    file: str
    subset: str
    truth: str | None  # enrolled identity expected; None for a non-mated search
    allowed: frozenset[str]  # identities a match may name without being an error
    best: str | None
    distance: float
    second: float | None
    problem: str | None


def _gallery(samples: list[Sample], leave_out: str | None) -> tuple[GalleryIndex, list[str]]:
    enrol = [s for s in samples if s.subset == "enroll"] or _first_each(samples)
    names = sorted({s.identities[0] for s in enrol})
    index = GalleryIndex()
    rows = [
        (i, names.index(s.identities[0]), s.vectors[0])
        for i, s in enumerate(enrol)
        if s.vectors and s.identities[0] != leave_out
    ]
    index.replace_all(rows)
    return index, names


def _first_each(samples: list[Sample]) -> list[Sample]:
    seen: dict[str, Sample] = {}
    for s in samples:
        if len(s.identities) == 1 and len(s.vectors) == 1:
            seen.setdefault(s.identities[0], s)
    return list(seen.values())


def run_searches(samples: list[Sample]) -> list[Search]:
    """All mated and non-mated searches of the protocol."""
    index, names = _gallery(samples, None)
    enrol_files = {s.file for s in samples if s.subset == "enroll"} or {
        s.file for s in _first_each(samples)
    }
    searches: list[Search] = []
    for s in samples:
        if s.file in enrol_files:
            continue
        known = frozenset(i for i in s.identities if i in names)
        for vec, prob in zip(s.vectors, s.problems, strict=True):
            truth = s.identities[0] if len(s.identities) == 1 and s.identities[0] in names else None
            searches.append(_search(index, names, vec, s, truth, known, prob))
    for left in names:
        held, _ = _gallery(samples, left)
        for s in samples:
            if s.identities == [left]:
                for vec, prob in zip(s.vectors, s.problems, strict=True):
                    searches.append(
                        _search(held, names, vec, s, None, frozenset(), prob, "non_mated")
                    )
    return searches


def _search(  # type: ignore[no-untyped-def]
    index, names, vec, sample, truth, allowed, prob, subset=None
) -> Search:
    m = index.search(vec)
    best = None if m is None else names[m.attendee_id]
    return Search(
        sample.file,
        subset or sample.subset,
        truth,
        allowed,
        best,
        m.distance if m else 9.0,
        m.second_distance if m else None,
        prob,
    )
