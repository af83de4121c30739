"""Camera streams on dlib's HOG detector search around the tracked face, and release a match only
on a whole frame (with BlazeFace, the default, every frame is searched whole: test_blazeface)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from core.runtime import Runtime
from recognition.face.api import face_service
from recognition.face.engine import LIVE, DetectOptions, Engine, near_region, yaw_ratio
from recognition.face.stream import STEP, StreamConfig
from tests.face.conftest import enrol_vectors, new_attendee, rgb_of, seed_templates
from tests.face.test_stream import held_photo, run, video_frames


@pytest.fixture(autouse=True)
def _hog(hog_frames: Engine) -> None:
    """Searching around a tracked face is what a HOG stream does (BlazeFace searches whole)."""


def tile(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """The photo letter-boxed into a w x h tile."""
    scale = min(w / rgb.shape[1], h / rgb.shape[0])
    size = (int(rgb.shape[1] * scale), int(rgb.shape[0] * scale))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 90, np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


@pytest.fixture
def side_by_side(photos: Path) -> tuple[np.ndarray, np.ndarray]:
    """640x480 frames: Obama alone on the left, and Obama with Rose Leslie on the right (faces
    of similar size, far enough apart that a search around one does not reach the other)."""
    left = tile(rgb_of(photos, "enroll/obama/obama.jpg"), 320, 480)
    right = tile(rgb_of(photos, "enroll/rose_leslie/img2.jpg"), 200, 300)
    right = cv2.copyMakeBorder(right, 90, 90, 60, 60, cv2.BORDER_CONSTANT, value=(90, 90, 90))
    alone = np.concatenate([left, np.full_like(right, 90)], axis=1)
    return alone, np.concatenate([left, right], axis=1)


def test_a_search_near_a_face_finds_that_face_and_nothing_elsewhere(
    engine: Engine, side_by_side: tuple[np.ndarray, np.ndarray]
) -> None:
    _, both = side_by_side
    whole = sorted(engine.detect(both, LIVE), key=lambda f: f.box[0])
    assert len(whole) == 2
    near = engine.detect(both, replace(LIVE, near=near_region(whole[0].box, STEP)))
    assert len(near) == 1  # the other person is outside the region
    a, b = np.array(near[0].box), np.array(whole[0].box)
    assert np.abs((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2).max() < 0.15 * whole[0].width
    # the same face to the liveness checks: yaw moves far less than a head turn (0.2)
    assert abs(yaw_ratio(near[0].landmarks) - yaw_ratio(whole[0].landmarks)) < 0.06


def test_nothing_near_or_a_region_like_the_frame_means_a_whole_search(
    engine: Engine, side_by_side: tuple[np.ndarray, np.ndarray]
) -> None:
    _, both = side_by_side
    empty_corner = replace(LIVE, near=(520, 380, 640, 480))
    assert len(engine.detect(both, empty_corner)) == 2
    most = replace(LIVE, near=(0, 0, 600, 440))
    assert len(engine.detect(both, most)) == 2


class Spy:
    """The face service, recording where each frame was searched (None: the whole frame)."""

    def __init__(self, service: Any) -> None:
        self._service = service
        self.searched: list[tuple[int, int, int, int] | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    def analyse(self, rgb: np.ndarray, engine_name: str, *args: Any) -> Any:
        options = args[0]
        assert isinstance(options, DetectOptions)
        self.searched.append(options.near)
        return self._service.analyse(rgb, engine_name, *args)


@pytest.fixture
def obama(runtime: Runtime, samples: dict[str, Any]) -> int:
    attendee = new_attendee(runtime)
    seed_templates(runtime, attendee, enrol_vectors(samples, "obama"))
    return attendee


def test_a_match_is_released_on_a_whole_frame_search(
    runtime: Runtime, obama: int, side_by_side: tuple[np.ndarray, np.ndarray]
) -> None:
    alone, _ = side_by_side
    stream = face_service(runtime).new_stream(liveness=False)
    spy = stream.service = Spy(stream.service)
    rng = np.random.default_rng(1)
    decision = run(stream, [held_photo(alone, rng) for _ in range(10)])
    assert decision is not None and decision.identification.attendee_id == obama
    assert spy.searched[0] is None  # nothing tracked yet
    assert spy.searched[1] is not None  # searched around the face found in the first
    assert spy.searched[-1] is None  # the releasing frame saw the whole picture


def test_someone_stepping_in_beside_the_tracked_person_is_not_missed(
    runtime: Runtime, obama: int, side_by_side: tuple[np.ndarray, np.ndarray]
) -> None:
    """Without the whole-frame search before a release, frames 2 and 3 (searched near Obama
    only) would have completed three agreeing frames while Rose Leslie stood beside him; and
    the fused vector of the frames searched near him must not release him either."""
    alone, both = side_by_side
    rng = np.random.default_rng(2)
    frames = [held_photo(alone, rng)] + [held_photo(both, rng) for _ in range(19)]
    stream = face_service(runtime).new_stream(liveness=False)
    spy = stream.service = Spy(stream.service)
    decision = run(stream, frames)
    assert decision is not None
    assert decision.identification.decision == "multiple_faces", decision.to_dict()
    assert spy.searched[1] is not None  # the second frame was searched near him only


@pytest.mark.slow
def test_liveness_is_judged_on_whole_frame_searches_only(
    runtime: Runtime, samples: dict[str, Any], photos: Path
) -> None:
    """A region search's landmarks differ a little from a whole-frame search's; alternating
    the two must not be able to fake a blink or a head turn, so none is used before liveness
    has passed."""
    attendee = new_attendee(runtime)
    seed_templates(runtime, attendee, enrol_vectors(samples, "lin_manuel_miranda"))
    cfg = StreamConfig(liveness_check="turn", turn_direction="right")
    stream = face_service(runtime).new_stream(True, config=cfg)
    spy = stream.service = Spy(stream.service)
    decision = run(stream, video_frames(photos, 82, 145), fps=29.97)
    assert decision is not None and decision.liveness == "passed"
    assert decision.identification.attendee_id == attendee
    assert spy.searched == [None] * len(spy.searched)
