"""Still photos get dlib's CNN detector when HOG finds nothing; live frames never do; every
MobileFaceNet vector embeds the face with its mirror image (real photos, real models)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recognition.face.embedders import align_112
from recognition.face.engine import ENROL, LIVE, PHOTO
from recognition.face.frame import engine_for
from tests.conftest import SHARED_FACES
from tests.face.conftest import rgb_of

FACES_EA = SHARED_FACES.parent / "faces_ea"
HOG_MISSES = "people/ja_MikiHonoka/8.jpg"  # a frontal face HOG does not find at any upsampling


@pytest.fixture(scope="module")
def ea() -> Path:
    if not FACES_EA.exists():
        pytest.skip(f"{FACES_EA} is absent; these tests need the shared East Asian photos")
    return FACES_EA


def test_a_still_photo_hog_misses_is_found_by_the_cnn_but_a_live_frame_is_not_searched_so(
    ea: Path,
) -> None:
    engine = engine_for("mobilefacenet")
    rgb = rgb_of(ea, HOG_MISSES)
    assert not LIVE.cnn_retry and PHOTO.cnn_retry and ENROL.cnn_retry
    timings: dict[str, float] = {}
    start = time.perf_counter()
    assert engine.detect(rgb, replace(LIVE, detector="hog"), timings) == []  # HOG, no CNN
    live_seconds = time.perf_counter() - start
    faces = engine.detect(rgb, PHOTO)
    assert len(faces) == 1
    left, top, right, bottom = faces[0].box
    eyes = faces[0].landmarks[36:48]
    assert left < eyes[:, 0].min() and eyes[:, 0].max() < right  # landmarks inside the box
    assert top < eyes[:, 1].min() < bottom
    assert live_seconds < 0.5  # no CNN pass hidden in the live path


def test_every_mobilefacenet_vector_is_the_mean_of_the_face_and_its_mirror(photos: Path) -> None:
    engine = engine_for("mobilefacenet")
    rgb = rgb_of(photos, "probe/obama1.jpg")
    face = engine.detect(rgb, PHOTO)[0]
    probe, template = engine.encode(rgb, face, 0), engine.encode(rgb, face, 4)
    assert np.array_equal(probe, template)  # probes and templates are made alike
    crop = align_112(rgb, face.landmarks)
    both = engine.embedder.embed_crops([crop, crop[:, ::-1]])  # type: ignore[attr-defined]
    mean = both.mean(axis=0)
    assert np.allclose(probe, mean / np.linalg.norm(mean), atol=1e-5)
    assert float(np.linalg.norm(both[0] - both[1])) > 0.05  # the mirror is a different view
