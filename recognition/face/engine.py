"""dlib behind one small class: HOG detection (padded, scaled) for still photos, BlazeFace
(recognition.face.blazeface) for camera frames, 68-point landmarks, and the selected embedding
engine (recognition.face.embedders: dlib's 128-d or MobileFaceNet's 192-d).

face_recognition's own helpers are not used here: they detect on the full frame with one
upsampling (slow on large photos) and load models through pkg_resources. We load the same
model files that face_recognition_models ships, straight from its folder.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dlib
import numpy as np

from models.face import selected_engine
from recognition.face.blazeface import MODEL_FILE, WEIGHTS, BlazeFace, hog_like_box
from recognition.face.embedders import DlibEmbedder, Embedder, EngineInfo, mobilefacenet
from recognition.face.errors import FaceEngineError

# dlib's 68-point layout: which indices form each eye and the nose tip.
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
# The 5-point model's points come from the 68-point ones (eye corners and nose base).
FIVE_FROM_68 = (45, 42, 36, 39, 33)


def models_dir() -> Path:
    """Folder of the face_recognition_models package, found without importing it."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceEngineError("face_recognition_models is not installed", "engine_missing", 503)
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class DetectOptions:
    """How hard to look: largest side the detector sees, upsampling, and the retries.

    HOG finds faces of about 80 px and larger; one upsampling halves that but costs about
    four times as much, so a frame is first searched as it is and upsampled only when empty.
    `cnn_retry`: when every HOG pass found nothing, dlib's CNN (MMOD) detector looks once
    more on a copy `cnn_side` px on its longer side. It finds faces HOG misses (tilted,
    partly lit) but costs 0.3-1 s on one core, so only still photos (enrolment, a single
    uploaded photo) use it, never live camera frames.
    """

    max_side: int = 1024
    upsample: int = 1
    upsample_retry: bool = False
    pad_retry: bool = True
    cnn_retry: bool = False
    cnn_side: int = 400
    # Where to look first (left, top, right, bottom in the image): a camera stream passes the
    # region its tracked face can have moved to; faces found there are the answer, and only
    # when none is the whole frame searched (see `Engine.detect`).
    near: tuple[int, int, int, int] | None = None
    # "blazeface": camera frames are searched by the BlazeFace model (recognition.face.blazeface,
    # about 5 ms a frame, whole frame always; `near` is then not needed and ignored), when it is
    # installed and FACE_DETECTOR is not "hog". "hog": dlib's HOG detector with the options above.
    detector: str = "hog"


ENROL_JITTERS = 4  # enrolment may spend more: averaging jittered crops steadies the template
ENROL = DetectOptions(max_side=1024, upsample=1, upsample_retry=True, cnn_retry=True)
PHOTO = DetectOptions(max_side=1024, upsample=0, upsample_retry=True, cnn_retry=True)
LIVE = DetectOptions(
    max_side=640, upsample=0, upsample_retry=True, pad_retry=False, detector="blazeface"
)
DETECTORS = ("blazeface", "hog")


@dataclass(frozen=True)
class Face:
    """One detected face in image coordinates: box (left, top, right, bottom) and landmarks."""

    box: tuple[int, int, int, int]
    landmarks: np.ndarray  # (68, 2) float32, x then y
    score: float

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


class Engine:
    """Thread-safe wrapper of dlib's detector and landmarks and one embedding engine."""

    def __init__(
        self,
        folder: Path | None = None,
        engine_name: str | None = None,
        detector: str | None = None,
    ) -> None:
        folder = folder or models_dir()
        # None: camera frames use HOG too (the model is not installed, or FACE_DETECTOR=hog)
        self._blaze = BlazeFace.load() if (detector or live_detector()) == "blazeface" else None
        self._detector = dlib.get_frontal_face_detector()
        self._pose68 = dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat"))
        self._folder = folder
        self._cnn: dlib.cnn_face_detection_model_v1 | None = None  # loaded on first use
        self._lock = threading.Lock()
        name = engine_name or selected_engine()
        self.embedder: Embedder = (
            DlibEmbedder(folder, self._lock) if name == "dlib" else mobilefacenet()
        )

    @property
    def live_detector(self) -> str:
        """The detector camera frames (`LIVE`) are searched with: "blazeface" or "hog"."""
        return "hog" if self._blaze is None else "blazeface"

    @property
    def info(self) -> EngineInfo:
        """Name, version and dimension of the vectors `encode` returns."""
        return self.embedder.info

    def detect(
        self, rgb: np.ndarray, opts: DetectOptions = PHOTO, timings: dict[str, float] | None = None
    ) -> list[Face]:
        """Find faces; retries on a padded copy so that tight ID-photo crops are found too.

        `timings`, when given, receives the seconds spent in "detect" and "landmarks".
        """
        t = timings if timings is not None else {}
        if opts.detector == "blazeface" and self._blaze is not None:
            return self._detect_blaze(self._blaze, rgb, t)
        if opts.near is not None:
            faces = self._detect_near(rgb, opts, opts.near, t)
            if faces:
                return faces
        faces = self._detect_scaled(rgb, opts, opts.upsample, 0, t)
        if not faces and opts.upsample_retry:
            faces = self._detect_scaled(rgb, opts, opts.upsample + 1, 0, t)
        if not faces and opts.pad_retry:
            pad = max(rgb.shape[0], rgb.shape[1]) // 3
            faces = self._detect_scaled(rgb, opts, 0, pad, t)
        if not faces and opts.cnn_retry:
            faces = self._detect_cnn(rgb, opts.cnn_side, t)
        return faces

    def _detect_blaze(self, blaze: BlazeFace, rgb: np.ndarray, t: dict[str, float]) -> list[Face]:
        """BlazeFace on the whole frame; dlib's landmarks in the HOG-shaped box of each face."""
        start = time.perf_counter()
        found = blaze(rgb)
        boxes = [(dlib.rectangle(*hog_like_box(d.box)), d.score) for d in found]
        return self._faces(boxes, start, t, lambda r, s: self._landmarks(rgb, r, 1.0, 0, s))

    def _detect_near(
        self,
        rgb: np.ndarray,
        opts: DetectOptions,
        near: tuple[int, int, int, int],
        t: dict[str, float],
    ) -> list[Face]:
        """HOG on the region `near` only, at the scale the whole frame would be searched at.

        The region's corner is put on a `HOG_GRID` grid of that scale, so the finest two
        pyramid levels see the same cells as in a whole-frame search (coarser levels may not:
        a larger face's box can then differ by a few pixels). Returns [] (search the
        whole frame) when the region is most of the frame anyway, or too small for a face HOG
        finds without upsampling. Boxes and landmarks are in frame coordinates, landmarks
        found on the full-resolution frame as in a whole-frame search.
        """
        h, w = rgb.shape[:2]
        scale = min(1.0, opts.max_side / max(h, w))
        cell = HOG_GRID / scale
        left = int(max(0, near[0]) // cell * cell)
        top = int(max(0, near[1]) // cell * cell)
        right, bottom = min(w, near[2]), min(h, near[3])
        width, height = right - left, bottom - top
        small_side = min(width, height) * scale
        if small_side < NEAR_MIN_SIDE or width * height > NEAR_MAX_SHARE * w * h:
            return []
        start = time.perf_counter()
        region = np.ascontiguousarray(rgb[top:bottom, left:right])
        small = region if scale == 1.0 else _resize(region, scale)

        def moved(r: dlib.rectangle, score: float) -> Face | None:
            box = dlib.rectangle(
                int(r.left() / scale) + left,
                int(r.top() / scale) + top,
                int(r.right() / scale) + left,
                int(r.bottom() / scale) + top,
            )
            return self._landmarks(rgb, box, 1.0, 0, score)

        return self._faces(self._hog(small, opts.upsample), start, t, moved)

    def _detect_cnn(self, rgb: np.ndarray, side: int, t: dict[str, float]) -> list[Face]:
        """dlib's MMOD CNN detector on a copy `side` px on its longer side (small photos are
        enlarged to it, so the cost is bounded either way)."""
        start = time.perf_counter()
        scale = side / max(rgb.shape[0], rgb.shape[1])
        small = _resize(rgb, scale)
        with self._lock:
            if self._cnn is None:
                path = self._folder / "mmod_human_face_detector.dat"
                self._cnn = dlib.cnn_face_detection_model_v1(str(path))
            try:
                found = [(d.rect, float(d.confidence)) for d in self._cnn(small, 0)]
            except RuntimeError as exc:
                raise FaceEngineError(f"face detector failed: {exc}", "engine_failed") from exc
        return self._faces(found, start, t, lambda r, s: self._landmarks(rgb, r, scale, 0, s))

    def _detect_scaled(
        self, rgb: np.ndarray, opts: DetectOptions, upsample: int, pad: int, t: dict[str, float]
    ) -> list[Face]:
        start = time.perf_counter()
        img = rgb
        if pad:
            # Edge-replicated border: a face that fills the frame gets the context HOG needs.
            img = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        scale = min(1.0, opts.max_side / max(img.shape[0], img.shape[1]))
        small = img if scale == 1.0 else _resize(img, scale)
        return self._faces(
            self._hog(small, upsample),
            start,
            t,
            lambda r, s: self._landmarks(img, r, scale, pad, s),
        )

    def _hog(self, small: np.ndarray, upsample: int) -> list[tuple[dlib.rectangle, float]]:
        with self._lock:
            try:
                rects, scores, _ = self._detector.run(small, upsample, 0.0)
            except RuntimeError as exc:
                raise FaceEngineError(f"face detector failed: {exc}", "engine_failed") from exc
        return [(r, float(s)) for r, s in zip(rects, scores, strict=True)]

    def _faces(
        self,
        found: list[tuple[dlib.rectangle, float]],
        start: float,
        t: dict[str, float],
        face_of: Callable[[dlib.rectangle, float], Face | None],
    ) -> list[Face]:
        """Landmarks for each detected box; the seconds since `start` go to "detect" in `t`,
        the landmarks' to "landmarks"."""
        mid = time.perf_counter()
        with self._lock:
            faces = [face_of(r, score) for r, score in found]
        t["detect"] = t.get("detect", 0.0) + mid - start
        t["landmarks"] = t.get("landmarks", 0.0) + time.perf_counter() - mid
        return [f for f in faces if f is not None]

    def _landmarks(
        self, img: np.ndarray, r: dlib.rectangle, scale: float, pad: int, score: float
    ) -> Face | None:
        big = dlib.rectangle(
            int(r.left() / scale),
            int(r.top() / scale),
            int(r.right() / scale),
            int(r.bottom() / scale),
        )
        shape = self._pose68(img, big)
        pts = np.array([(p.x - pad, p.y - pad) for p in shape.parts()], dtype=np.float32)
        h, w = img.shape[0] - 2 * pad, img.shape[1] - 2 * pad
        box = (
            max(0, big.left() - pad),
            max(0, big.top() - pad),
            min(w, big.right() - pad),
            min(h, big.bottom() - pad),
        )
        if box[2] - box[0] < 8 or box[3] - box[1] < 8:
            return None  # a detection wholly inside the padding is not a face of the photo
        return Face(box=box, landmarks=pts, score=float(score))

    def encode(self, rgb: np.ndarray, face: Face, jitters: int = 0) -> np.ndarray:
        """The face's float32 vector in this engine's space (jitters > 0: a steadier one)."""
        return self.embedder.encode(rgb, face.landmarks, face.box, jitters)


def live_detector() -> str:
    """The detector camera frames get: FACE_DETECTOR ("blazeface", the default, or "hog"); HOG
    when the BlazeFace model is not installed."""
    name = os.environ.get("FACE_DETECTOR", "").strip().lower() or "blazeface"
    if name not in DETECTORS:
        raise FaceEngineError(
            f"FACE_DETECTOR must be one of {', '.join(DETECTORS)}, not {name!r}",
            "engine_missing",
            503,
        )
    return name if name == "hog" or (WEIGHTS / MODEL_FILE).exists() else "hog"


def yaw_ratio(landmarks: np.ndarray) -> float:
    """Nose tip's offset from the eye midpoint along the eye line, in eye distances.

    0 is frontal; negative when the person turns to their own right (the nose moves to the
    image's left in an unmirrored camera). For a flat photo moved, tilted or turned in front
    of the camera the value barely changes: an affine view of a plane keeps this ratio (exactly
    for a level eye line), so only a real head turning in 3-D changes it.
    """
    right_eye, left_eye = landmarks[RIGHT_EYE].mean(axis=0), landmarks[LEFT_EYE].mean(axis=0)
    eye_vec = left_eye - right_eye
    dist = max(float(np.hypot(*eye_vec)), 1e-6)
    return float(np.dot(landmarks[NOSE_TIP] - (left_eye + right_eye) / 2, eye_vec / dist) / dist)


def _resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


# A region's corner is put on a multiple of this (pixels at detection scale): 8 is HOG's cell,
# and 48 = 8 x 6 keeps the cells of the first two pyramid levels (each 5/6 of the one before)
# where a whole-frame search has them, so a face under about 100 px gets the same box.
HOG_GRID = 48
NEAR_MIN_SIDE = 100  # px at detection scale: a region HOG can find an 80-px face in
NEAR_MAX_SHARE = 0.6  # a region larger than this share of the frame: search the whole frame


def near_region(box: tuple[int, int, int, int], reach: float) -> tuple[int, int, int, int]:
    """The region a face with this box can be in after moving `reach` face widths (any way)."""
    left, top, right, bottom = box
    grow = round(reach * max(right - left, bottom - top))
    return (left - grow, top - grow, right + grow, bottom + grow)


CROWD_RATIO = 0.6  # a second face at least this wide (relative) means several people in view


def main_face(faces: list[Face]) -> Face | None:
    """The largest face, unless another face in view is nearly as large (None then)."""
    if not faces:
        return None
    ranked = sorted(faces, key=lambda f: f.width, reverse=True)
    if len(ranked) > 1 and ranked[1].width >= CROWD_RATIO * ranked[0].width:
        return None
    return ranked[0]
