"""The camera-frame face detector: MediaPipe's BlazeFace full-range model, run with ai-edge-litert.

dlib's HOG detector costs 25-75 ms on a 640x480 frame on one core (more when it upsamples an
empty frame); this model looks at the frame letterboxed to 192x192 and costs about 5 ms, finds
faces from about 20 px up, and on the development photos found a face in every photo HOG did
and in 3 where HOG found none (docs/face.md). It gives boxes and six key points, not the 68
landmarks the alignment and the liveness checks read, so dlib's landmark model still runs on
each face, given a box shaped like the HOG boxes it was trained with (`hog_like_box`).

The model file comes from the npm package @mediapipe/face_detection (Apache-2.0), copied with
a checksum by ./dev setup. The decoding follows MediaPipe's face_detection_full_range graph:
one SSD layer of 48x48 anchors (stride 4, one anchor a cell, fixed size), box and key points
as offsets in input pixels from the anchor's centre, a sigmoid score kept from 0.6, weighted
non-maximum suppression at IoU 0.3.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from recognition.face.errors import FaceEngineError

WEIGHTS = Path(__file__).resolve().parent / "weights"
MODEL_FILE = "face_detection_full_range.tflite"
MODEL_SHA256 = "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
SIZE = 192  # the model's square input
STRIDE = 4
MIN_SCORE = 0.6  # MediaPipe's threshold for this model
NMS_IOU = 0.3

# HOG-shaped box from a BlazeFace box, in BlazeFace box widths: centre moved by (DX, DY), a
# square of side SIDE. Medians over the faces both detectors found on the calibration fold
# (fold a) of the development photos; on fold b the medians were 0.012, 0.030 and 0.934.
DX, DY, SIDE = 0.011, 0.034, 0.90


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]  # left, top, right, bottom in image pixels, unclipped
    keypoints: np.ndarray  # (6, 2): eyes, nose tip, mouth, ear tragions (MediaPipe's order)
    score: float


def _anchors() -> np.ndarray:
    cells = SIZE // STRIDE
    ys, xs = np.mgrid[0:cells, 0:cells]
    return np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 2).astype(np.float32)


class BlazeFace:
    """One interpreter on one thread; calls are serialised (the interpreter is not re-entrant)."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise FaceEngineError(
                f"{path} has an unexpected checksum: run ./dev setup (copies it from the npm "
                "package @mediapipe/face_detection) or set FACE_DETECTOR=hog",
                "engine_missing",
                503,
            )
        from ai_edge_litert.interpreter import Interpreter

        self._net = Interpreter(model_content=data, num_threads=1)
        self._net.allocate_tensors()
        self._in = self._net.get_input_details()[0]["index"]
        outs = self._net.get_output_details()
        self._boxes = next(o["index"] for o in outs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outs if o["shape"][-1] == 1)
        self._anchors = _anchors()
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> BlazeFace | None:
        """The installed model, or None when ./dev setup has not copied it (HOG is used then)."""
        path = WEIGHTS / MODEL_FILE
        return cls(path) if path.exists() else None

    def __call__(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        scale = SIZE / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        inter = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = cv2.resize(rgb, (nw, nh), interpolation=inter)
        canvas = np.zeros((SIZE, SIZE, 3), np.float32)
        ox, oy = (SIZE - nw) // 2, (SIZE - nh) // 2
        canvas[oy : oy + nh, ox : ox + nw] = small
        with self._lock:
            self._net.set_tensor(self._in, (canvas / 127.5 - 1.0)[None])
            self._net.invoke()
            raw = self._net.get_tensor(self._boxes)[0]
            logits = self._net.get_tensor(self._scores)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        keep = np.nonzero(scores >= MIN_SCORE)[0]
        if keep.size == 0:
            return []
        r = raw[keep] / SIZE
        a = self._anchors[keep]
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        half_w, half_h = r[:, 2] / 2, r[:, 3] / 2
        boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], 1)
        points = r[:, 4:].reshape(-1, 6, 2) + a[:, None, :]
        out = []
        for box, pts, score in _weighted_nms(boxes, points, scores[keep]):
            box = (box * SIZE - [ox, oy, ox, oy]) / scale
            pts = (pts * SIZE - [ox, oy]) / scale
            seen_w = min(float(w), box[2]) - max(0.0, box[0])
            seen_h = min(float(h), box[3]) - max(0.0, box[1])
            if seen_w >= 8 and seen_h >= 8:  # not a box (almost) wholly outside the frame
                corners = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
                out.append(Detection(corners, pts.astype(np.float32), score))
        return out


def hog_like_box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """The square box dlib's HOG detector would likely give the same face (see DX, DY, SIDE)."""
    width = box[2] - box[0]
    cx = (box[0] + box[2]) / 2 + DX * width
    cy = (box[1] + box[3]) / 2 + DY * width
    half = SIDE * width / 2
    return (round(cx - half), round(cy - half), round(cx + half), round(cy + half))


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (left, top, right, bottom) with each of `boxes`."""
    left, top = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    right, bottom = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def _weighted_nms(
    boxes: np.ndarray, points: np.ndarray, scores: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted suppression: each kept face is the score-weighted mean of the
    candidates overlapping the best remaining one by more than NMS_IOU."""
    order = np.argsort(-scores)
    boxes, points, scores = boxes[order], points[order], scores[order]
    used = np.zeros(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if used[i]:
            continue
        group = ~used & (iou(boxes[i], boxes) > NMS_IOU)
        used |= group
        weights = scores[group][:, None]
        total = float(weights.sum())
        box = (boxes[group] * weights).sum(0) / total
        pts = (points[group] * weights[:, :, None]).sum(0) / total
        out.append((box, pts, float(scores[i])))
    return out
