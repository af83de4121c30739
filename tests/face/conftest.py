"""Face fixtures: the shared labelled photos, encoded once per session, and small helpers.

Encoding every shared photo takes ~10 s on two cores, so it happens once per test session and
tests that only need a populated gallery store those real encodings directly (sealed exactly as
enrolment seals them) instead of enrolling photo by photo.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from core.events import emit
from core.runtime import Runtime
from models import AuditEntry
from models.db import transaction
from models.face import FaceTemplate
from recognition.face import store
from recognition.face.api import get_engine
from recognition.face.engine import Engine
from recognition.face.evaluation import Sample, encode_folder
from tests.conftest import SHARED_FACES
from tests.factories import make_attendee


@pytest.fixture(scope="session")
def photos() -> Path:
    """The shared labelled face photos (skips, saying why, when the folder is absent)."""
    if not SHARED_FACES.exists():
        pytest.skip(f"{SHARED_FACES} is absent; the face tests need the shared real photos")
    return SHARED_FACES


@pytest.fixture(scope="session")
def engine() -> Engine:
    return get_engine()


@pytest.fixture
def hog_frames(monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Camera frames searched by dlib's HOG detector, as with FACE_DETECTOR=hog (the process's
    engine is shared, so its BlazeFace model is set aside for the test only)."""
    engine = get_engine()
    monkeypatch.setattr(engine, "_blaze", None)
    assert engine.live_detector == "hog"
    return engine


@pytest.fixture(scope="session")
def samples(photos: Path, engine: Engine) -> dict[str, Sample]:
    """Every labelled photo with its faces encoded by the real dlib models, by file."""
    return {s.file: s for s in encode_folder(photos, engine)}


def read(photos: Path, rel: str) -> bytes:
    return (photos / rel).read_bytes()


def rgb_of(photos: Path, rel: str) -> np.ndarray:
    return np.asarray(Image.open(photos / rel).convert("RGB"))


def jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def frame_640(rgb: np.ndarray) -> np.ndarray:
    """Letter-box a photo into a 640x480 camera frame."""
    h, w = rgb.shape[:2]
    scale = min(640 / w, 480 / h)
    small = cv2.resize(rgb, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    out = np.full((480, 640, 3), 90, dtype=np.uint8)
    y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


def new_attendee(rt: Runtime, consent: bool = True, **kw: object) -> int:
    with transaction(rt.sessions) as db:
        return make_attendee(db, rt.pii, consent_face=consent, **kw).id


def seed_templates(rt: Runtime, attendee_id: int, vectors: Iterable[np.ndarray]) -> None:
    """Store real encodings for an attendee as enrolment does, with its gallery event."""
    with transaction(rt.sessions) as db:
        for vec in vectors:
            key_id, cipher = store.seal(rt.templates, attendee_id, vec)
            row = FaceTemplate(attendee_id=attendee_id, key_id=key_id, cipher=cipher)
            db.add(row)
            db.flush()
            emit(
                db,
                "face_enrolled",
                {"attendee_id": attendee_id, "template_id": row.id},
                ["gallery"],
            )


def enrol_vectors(samples: dict[str, Sample], identity: str) -> list[np.ndarray]:
    return [
        s.vectors[0]
        for s in samples.values()
        if s.subset == "enroll" and s.identities == [identity]
    ]


def count_templates(rt: Runtime) -> int:
    with rt.sessions() as db:
        return store.count_templates(db)


def last_actor(rt: Runtime, action: str) -> str:
    """Who did the latest audited `action`."""
    with transaction(rt.sessions, read_only=True) as db:
        rows = db.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
    return rows[-1]
