"""Camera streams: agreement over several frames, and the photo / frozen-feed attacks fail."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.runtime import Runtime
from recognition.face.api import face_service
from recognition.face.evaluation import Sample
from recognition.face.liveness import BlinkDetector
from recognition.face.stream import StreamConfig, StreamDecision
from tests.face.conftest import enrol_vectors, frame_640, new_attendee, rgb_of, seed_templates

FPS = 10.0


def video_frames(photos: Path, start: int, stop: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(photos / "video" / "short_hamilton_clip.mp4"))
    frames = []
    for i in range(stop):
        ok, bgr = cap.read()
        if not ok:
            break
        if i >= start:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def held_photo(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A printed photo held up to a camera: small shake, tilt, zoom, light change, sensor noise."""
    angle, scale = rng.uniform(-2, 2), rng.uniform(0.97, 1.03)
    m = cv2.getRotationMatrix2D((320, 240), angle, scale)
    m[:, 2] += rng.uniform(-6, 6, 2)
    moved = cv2.warpAffine(rgb, m, (640, 480), borderMode=cv2.BORDER_REPLICATE)
    noisy = moved.astype(np.float32) * rng.uniform(0.93, 1.07) + rng.normal(0, 3, moved.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


@pytest.fixture
def gallery(runtime: Runtime, samples: dict[str, Sample]) -> dict[str, int]:
    ids = {}
    for name in ("obama", "lin_manuel_miranda", "rose_leslie"):
        ids[name] = new_attendee(runtime)
        seed_templates(runtime, ids[name], enrol_vectors(samples, name))
    return ids


def run(stream, frames: list[np.ndarray], fps: float = FPS) -> StreamDecision | None:  # type: ignore[no-untyped-def]
    for i, frame in enumerate(frames):
        decision = stream.feed(frame, i / fps)
        if decision is not None:
            return decision  # type: ignore[no-any-return]
    return None


def test_real_video_is_identified_once_several_frames_agree(
    runtime: Runtime, gallery: dict[str, int], photos: Path
) -> None:
    stream = face_service(runtime).new_stream(liveness=False)
    # 360p clip, eyes ~37 px apart: distances hover near the strict threshold, so this stretch
    # (the face nearest the camera) is where several frames in a row can agree.
    decision = run(stream, video_frames(photos, 145, 185))
    assert decision is not None and decision.liveness == "not_required"
    assert decision.identification.decision == "match"
    assert decision.identification.attendee_id == gallery["lin_manuel_miranda"]
    assert decision.frames >= 3


@pytest.mark.slow
@pytest.mark.parametrize("photo", ["enroll/obama/obama.jpg", "enroll/rose_leslie/img2.jpg"])
def test_a_photo_held_to_the_camera_never_passes_liveness(
    runtime: Runtime, gallery: dict[str, int], photos: Path, photo: str
) -> None:
    base, rng = frame_640(rgb_of(photos, photo)), np.random.default_rng(3)
    stream = face_service(runtime).new_stream(True, config=StreamConfig(liveness_timeout=2.0))
    decision = run(stream, [held_photo(base, rng) for _ in range(30)])
    assert decision is not None
    assert decision.identification.decision == "spoof_suspected" and decision.liveness == "failed"


def turned_photo(rgb: np.ndarray, rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    """The photo rotated about its vertical axis, a little more each frame (up to ~40 degrees)."""
    squeeze = 1 - 0.25 * k / n  # the far edge shrinks as the photo turns
    src = np.float32([[0, 0], [640, 0], [640, 480], [0, 480]])
    dx, dy = 640 * (1 - squeeze) / 2, 480 * (1 - squeeze) / 4
    dst = np.float32([[dx, 0], [640 - dx, dy], [640 - dx, 480 - dy], [dx, 480]])
    warped = cv2.warpPerspective(
        rgb, cv2.getPerspectiveTransform(src, dst), (640, 480), borderMode=cv2.BORDER_REPLICATE
    )
    return held_photo(warped, rng)


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["left", "right"])
def test_turning_a_photo_does_not_answer_the_head_turn_challenge(
    runtime: Runtime, gallery: dict[str, int], photos: Path, direction: str
) -> None:
    base, rng = frame_640(rgb_of(photos, "enroll/obama/obama.jpg")), np.random.default_rng(9)
    cfg = StreamConfig(liveness_timeout=2.0, liveness_check="turn", turn_direction=direction)
    stream = face_service(runtime).new_stream(True, config=cfg)
    decision = run(stream, [turned_photo(base, rng, k, 30) for k in range(30)])
    assert decision is not None and decision.liveness == "failed"
    assert decision.identification.decision == "spoof_suspected"


def test_a_real_head_turn_in_the_video_answers_the_challenge(
    runtime: Runtime, gallery: dict[str, int], photos: Path
) -> None:
    frames = video_frames(photos, 82, 145)  # he turns to his right here (yaw 0.16 -> -0.44)
    cfg = StreamConfig(liveness_check="turn", turn_direction="right")
    stream = face_service(runtime).new_stream(True, config=cfg)
    assert stream.challenge == "turn_right"
    decision = run(stream, frames, fps=29.97)
    assert decision is not None and decision.liveness == "passed"
    assert decision.identification.attendee_id == gallery["lin_manuel_miranda"]
    wrong_way = StreamConfig(liveness_check="turn", turn_direction="left", liveness_timeout=1.5)
    decision = run(face_service(runtime).new_stream(True, config=wrong_way), frames, fps=29.97)
    assert decision is not None and decision.identification.decision != "match"


def _person(k: int, count: int, wait: int = 45, front: int = 14) -> int:
    """Clip frame at video frame k of a person who faces the camera (its first half second,
    back and forth) for 1.5 s, then plays on through the turn and stands (its last second)."""
    if k < wait:
        k %= 2 * front
        return k if k <= front else 2 * front - k
    k = wait % (2 * front) + (k - wait)
    if k < count:
        return k
    k = (k - count) % 60
    return count - 1 - (k if k <= 30 else 60 - k)


@pytest.mark.parametrize("every", [8, 15])
def test_the_head_turn_passes_at_two_frames_a_second_without_a_new_prompt(
    runtime: Runtime, gallery: dict[str, int], photos: Path, every: int
) -> None:
    """At 4 frames a second, and at 2 (a slow page or a busy server: the turn moves his face
    up to 0.85 face widths between frames), the track follows him: one prompt throughout."""
    clip = video_frames(photos, 82, 186)
    frames = [clip[_person(k * every, len(clip))] for k in range(int(10 * 29.97 / every))]
    cfg = StreamConfig(liveness_check="turn", turn_direction="right")
    stream = face_service(runtime).new_stream(True, config=cfg)
    resets = 0
    original = stream._reset

    def counted() -> None:
        nonlocal resets
        resets += 1
        original()

    stream._reset = counted  # type: ignore[method-assign]
    decision = run(stream, frames, fps=29.97 / every)
    assert decision is not None and decision.liveness == "passed", decision
    assert decision.identification.attendee_id == gallery["lin_manuel_miranda"]
    assert resets == 1  # only the one that closes the decision: he was never lost mid-turn


def test_another_face_at_the_same_place_starts_a_new_track(
    runtime: Runtime, gallery: dict[str, int], photos: Path
) -> None:
    """Two different people's photos alternating at one spot are not one person's frames."""
    a = frame_640(rgb_of(photos, "enroll/obama/obama.jpg"))
    b = frame_640(rgb_of(photos, "enroll/rose_leslie/img2.jpg"))
    rng = np.random.default_rng(5)
    stream = face_service(runtime).new_stream(False)
    decisions = [stream.feed(held_photo(a if i % 2 else b, rng), i / FPS) for i in range(12)]
    assert all(d is None for d in decisions)  # no three agreeing frames of one track
    stream = face_service(runtime).new_stream(False)
    decision = run(stream, [held_photo(a, rng) for _ in range(6)])
    assert decision is not None and decision.identification.attendee_id == gallery["obama"]


def test_a_frozen_feed_of_one_repeated_frame_is_a_spoof(
    runtime: Runtime, gallery: dict[str, int], photos: Path
) -> None:
    frame = frame_640(rgb_of(photos, "enroll/obama/obama.jpg"))
    stream = face_service(runtime).new_stream(liveness=True)
    decision = run(stream, [frame] * 6)
    assert decision is not None and decision.identification.decision == "spoof_suspected"
    assert decision.frames <= 3


def test_two_people_in_front_of_the_camera_is_multiple_faces(
    runtime: Runtime, gallery: dict[str, int], photos: Path
) -> None:
    frame = frame_640(rgb_of(photos, "group/two_people.jpg"))
    rng = np.random.default_rng(5)
    stream = face_service(runtime).new_stream(liveness=False)
    decision = run(stream, [held_photo(frame, rng) for _ in range(5)])
    assert decision is not None and decision.identification.decision == "multiple_faces"


def ears(*segments: tuple[float, int]) -> list[float]:
    rng = np.random.default_rng(0)
    return [v + rng.normal(0, 0.008) for v, n in segments for _ in range(n)]


def feed_all(values: list[float], fps: float = 15.0) -> bool:
    det = BlinkDetector()
    return any(det.feed(v, i / fps) for i, v in enumerate(values))


def test_one_short_blink_passes() -> None:
    assert feed_all(ears((0.30, 10), (0.12, 3), (0.30, 5)))


def test_a_steady_face_with_landmark_jitter_does_not_pass() -> None:
    assert not feed_all(ears((0.30, 120)))


def test_eyes_closed_for_seconds_is_not_a_blink() -> None:
    assert not feed_all(ears((0.30, 10), (0.10, 30), (0.30, 10)))


def test_threshold_follows_the_persons_own_open_eye_level() -> None:
    assert feed_all(ears((0.22, 10), (0.12, 2), (0.22, 5)))  # narrow eyes, shallower blink
    assert not feed_all(ears((0.40, 10), (0.32, 3), (0.40, 5)))  # a wide-eyed squint is not one
