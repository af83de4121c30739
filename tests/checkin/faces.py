"""Real photos for face tests: enrol from ../shared/data/faces, make probe images."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np

from core.runtime import Runtime
from models.db import transaction

_TEMPLATES: dict[Path, np.ndarray] = {}


def enrol(rt: Runtime, attendee_id: int, *photos: Path) -> None:
    """Enrol real photos with the real engine.

    Enrolment (with jitters) costs about 1.5 s a photo, so each photo goes through the real
    `enrol` once per test session; later tests store the template that enrolment produced.
    """
    from models import FaceTemplate
    from recognition.face import store
    from recognition.face.api import face_service

    svc = face_service(rt)
    for photo in photos:
        svc.sync.refresh()
        with transaction(rt.sessions) as db:
            if photo in _TEMPLATES:
                key_id, cipher = store.seal(rt.templates, attendee_id, _TEMPLATES[photo])
                db.add(FaceTemplate(attendee_id=attendee_id, key_id=key_id, cipher=cipher))
                continue
            done = svc.enrol(db, attendee_id, photo.read_bytes(), "test")
            row = db.get(FaceTemplate, done["template_id"])
            assert row is not None
            _TEMPLATES[photo] = store.unseal(rt.templates, row)
    svc.sync.load(progress=False)


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def load_rgb(path: Path, width: int | None = None) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    if width is not None:
        bgr = cv2.resize(
            bgr, (width, round(bgr.shape[0] * width / bgr.shape[1])), interpolation=cv2.INTER_AREA
        )
    return np.ascontiguousarray(bgr[:, :, ::-1])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def blurred(path: Path) -> bytes:
    """The photo as an out-of-focus camera would see it."""
    return jpeg(cv2.GaussianBlur(load_rgb(path, 640), (0, 0), 6))


def nobody(seed: int = 3) -> bytes:
    """A real-looking frame with no one in it: smooth noise, like an empty lit corridor."""
    rng = np.random.default_rng(seed)
    small = rng.integers(60, 200, size=(12, 16, 3), dtype=np.uint8)
    return jpeg(cv2.resize(small, (640, 480), interpolation=cv2.INTER_CUBIC))
