"""Camera-frame detectors side by side: BlazeFace (the default) against dlib's HOG, in one run.

    taskset -c 1 .venv/bin/python benchmarks/face_detectors.py [--json]

Every single-person photo of ../shared/data/faces_ea and ../shared/data/faces, scaled to at most
640 px (a camera frame's size), is searched with the camera-frame options (`engine.LIVE`) by
each detector. Reported per detector: photos with a face found, detection time p50/p95 (the
detector alone, then with dlib's 68 landmarks); and, for photos both found a face in, how far
the landmarks and the MobileFaceNet vector move from HOG's box to BlazeFace's reshaped box
(`blazeface.hog_like_box`), and how many mated photos fall within the shipped threshold of their
person's first photo's enrolment template (ENROL detection, as enrolment does).

The box reshaping was calibrated on fold a of these folders (`recognition.face.protocol.folds`),
so the agreement and mated figures are printed for fold b (held out) and for fold a apart.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.face.decision import load_thresholds  # noqa: E402
from recognition.face.engine import (  # noqa: E402
    ENROL,
    ENROL_JITTERS,
    LIVE,
    Engine,
    main_face,
    yaw_ratio,
)
from recognition.face.images import decode_image  # noqa: E402
from recognition.face.protocol import Photo, folds, read_photos  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def photo_rgb(photo: Photo) -> np.ndarray:
    return decode_image(
        (SHARED / photo.set / photo.file).read_bytes(), max_bytes=64 << 20, max_pixels=40_000_000
    )


def frame(rgb: np.ndarray) -> np.ndarray:
    """The photo at a camera frame's size (at most 640 px on its longer side)."""
    scale = min(1.0, 640 / max(rgb.shape[:2]))
    if scale < 1:
        size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb


def ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values) * 1000, q)), 1) if values else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    engine = Engine(engine_name="mobilefacenet", detector="blazeface")
    if engine.live_detector != "blazeface":
        sys.exit("the BlazeFace model is not installed: run ./dev setup")
    threshold = load_thresholds(None, "mobilefacenet").distance
    photos = read_photos(SHARED / "faces_ea") + read_photos(SHARED / "faces")
    fold_a, _ = folds(photos)
    hog_opts = replace(LIVE, detector="hog")
    found = {"blazeface": 0, "hog": 0}
    times: dict[str, list[float]] = {"blazeface": [], "hog": []}
    with_marks: dict[str, list[float]] = {"blazeface": [], "hog": []}
    per_fold: dict[str, dict[str, list[float]]] = {
        f: {"eyes": [], "yaw": [], "vector": []} for f in "ab"
    }
    mated: dict[str, dict[str, list[float]]] = {f: {"blazeface": [], "hog": []} for f in "ab"}
    templates: dict[str, np.ndarray] = {}
    for photo in photos:
        full = photo_rgb(photo)
        rgb = frame(full)
        fold = "a" if photo.identity in fold_a.identities else "b"
        got = {}
        for name, opts in (("blazeface", LIVE), ("hog", hog_opts)):
            t: dict[str, float] = {}
            start = time.perf_counter()
            face = main_face(engine.detect(rgb, opts, t))
            with_marks[name].append(time.perf_counter() - start)
            times[name].append(t.get("detect", 0.0))
            if face is not None:
                found[name] += 1
                got[name] = face
        if len(got) < 2:
            continue
        blaze, hog = got["blazeface"], got["hog"]
        gap = float(np.linalg.norm(hog.landmarks[36:42].mean(0) - hog.landmarks[42:48].mean(0)))
        eyes = np.linalg.norm(hog.landmarks[36:48] - blaze.landmarks[36:48], axis=1).mean() / gap
        vb, vh = engine.encode(rgb, blaze), engine.encode(rgb, hog)
        per_fold[fold]["eyes"].append(float(eyes))
        per_fold[fold]["yaw"].append(abs(yaw_ratio(blaze.landmarks) - yaw_ratio(hog.landmarks)))
        per_fold[fold]["vector"].append(float(np.linalg.norm(vb - vh)))
        if photo.stranger:
            continue
        if photo.identity not in templates:  # the first photo enrols (ENROL detection)
            enrol = main_face(engine.detect(full, ENROL))
            if enrol is not None:
                templates[photo.identity] = engine.encode(full, enrol, ENROL_JITTERS)
            continue
        template = templates[photo.identity]
        mated[fold]["blazeface"].append(float(np.linalg.norm(vb - template)))
        mated[fold]["hog"].append(float(np.linalg.norm(vh - template)))
    report: dict[str, object] = {"photos": len(photos), "threshold": threshold, "detectors": {}}
    print(f"{len(photos)} photos, scaled to <= 640 px; threshold {threshold}", file=sys.stderr)
    for name in ("blazeface", "hog"):
        row = {
            "found": found[name],
            "detect_p50_ms": ms(times[name], 50),
            "detect_p95_ms": ms(times[name], 95),
            "with_landmarks_p50_ms": ms(with_marks[name], 50),
        }
        report["detectors"][name] = row  # type: ignore[index]
        print(f"  {name:<10} {row}", file=sys.stderr)
    for fold in "ab":
        agree = per_fold[fold]
        row = {
            "faces": len(agree["eyes"]),
            "eyes_moved_p50": round(float(np.median(agree["eyes"])), 4),
            "eyes_moved_p90": round(float(np.percentile(agree["eyes"], 90)), 4),
            "yaw_moved_p90": round(float(np.percentile(agree["yaw"], 90)), 4),
            "vector_moved_p50": round(float(np.median(agree["vector"])), 4),
            "vector_moved_p90": round(float(np.percentile(agree["vector"], 90)), 4),
            "mated": len(mated[fold]["hog"]),
            "mated_within_blazeface": int((np.array(mated[fold]["blazeface"]) <= threshold).sum()),
            "mated_within_hog": int((np.array(mated[fold]["hog"]) <= threshold).sum()),
        }
        report[f"fold_{fold}"] = row
        role = "held out" if fold == "b" else "box calibrated here"
        print(f"  fold {fold} ({role}): {row}", file=sys.stderr)
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
