"""Enrolment: one or several photos of one person to one stored template (and its crop).

Several photos are averaged (mean of the per-photo vectors, L2-normalised for unit-vector
engines): measured on the development photos, two averaged photos halve the misses of one.
The photos must agree with each other (a second person's photo in the set is refused).
A photo that resembles another enrolled attendee is NOT refused silently: the template waits
in a `FaceReview` until staff, seeing both people, approve or reject it (recognition.face.review).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognition.face.engine import ENROL, ENROL_JITTERS
from recognition.face.errors import FaceError
from recognition.face.frame import FrameAnalysis
from recognition.face.quality import ENROL_GATES, problem

CROP_SIDE = 256  # enrolment crops are kept at most this wide (enough to re-encode)
MAX_PHOTOS = 5


@dataclass(frozen=True)
class Candidate:
    """What enrolment computed before touching the database."""

    vector: np.ndarray
    quality: dict[str, float]
    crop: bytes  # JPEG of the first photo's face and its surroundings
    photos: int


def face_crop_jpeg(rgb: np.ndarray, box: tuple[int, int, int, int]) -> bytes:
    """The face box enlarged by its own size each side (context for re-detection), JPEG."""
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    x0, y0 = max(0, left - w), max(0, top - h)
    x1, y1 = min(rgb.shape[1], right + w), min(rgb.shape[0], bottom + h)
    img = Image.fromarray(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    if max(img.size) > CROP_SIDE * 2:
        img.thumbnail((CROP_SIDE * 2, CROP_SIDE * 2))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def single_face(analysis: FrameAnalysis) -> tuple[np.ndarray, dict[str, float], int]:
    """The one face of an enrolment photo, its quality and index; refusals with their code."""
    faces = analysis.faces
    if not faces:
        raise FaceError("no face was found in the image", "no_face")
    if len(faces) > 1:
        raise FaceError(f"{len(faces)} faces were found; exactly one is needed", "multiple_faces")
    failure = problem(faces[0].quality, ENROL_GATES)
    if failure is not None:
        raise failure
    vector = faces[0].embedding
    if vector is None:  # pragma: no cover - analyse_frame encodes a face that passed
        raise FaceError("the face could not be encoded", "no_face")
    return vector, faces[0].quality, 0


def combine(vectors: list[np.ndarray], unit: bool) -> np.ndarray:
    """Mean of several vectors of one person (re-normalised for unit-vector engines)."""
    mean: np.ndarray = np.mean(np.stack(vectors), axis=0).astype(np.float32)
    if unit:
        mean /= max(float(np.linalg.norm(mean)), 1e-9)
    return mean


def check_agree(vectors: list[np.ndarray], limit: float) -> None:
    """Refuse a set of photos that are not all of one person (any pair beyond `limit`)."""
    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            if float(np.linalg.norm(vectors[i] - vectors[j])) > limit:
                raise FaceError(
                    f"photos {i + 1} and {j + 1} do not show the same person",
                    "photos_disagree",
                )


ENROL_ANALYSIS = {
    "options": ENROL,
    "encode": "main",
    "jitters": ENROL_JITTERS,
    "gates": ENROL_GATES,
}
