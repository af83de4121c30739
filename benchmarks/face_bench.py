"""Face pipeline speed, ours against the face_recognition baseline, in one run.

    .venv/bin/python benchmarks/face_bench.py [--frames 20] [--sizes 1000,10000,100000,1000000]

Per-frame latency (detect, landmarks, encode, match; p50/p95) at 640x480 and 1280x720 on frames
made from the shared photos (one face each), and 1:N match time for galleries of 1k-1M
templates. Baseline = face_recognition as its examples use it: face_locations (full-frame HOG,
one upsampling), face_encodings, compare_faces over every known encoding. BLAS is pinned to one
thread so that "one core" holds for numpy too; run under `taskset -c 0` for dlib as well.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.face.api import get_engine  # noqa: E402
from recognition.face.engine import LIVE  # noqa: E402
from recognition.face.gallery import GalleryIndex  # noqa: E402
from recognition.face.images import decode_image  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "faces"
FRAME_SOURCES = (
    "enroll/obama/obama.jpg",
    "probe/kit_harington_johnsnow.jpg",
    "enroll/rose_leslie/img2.jpg",
    "probe/alex_lacamoire1.jpg",
)


def frame(rel: str, w: int, h: int) -> np.ndarray:
    """A camera-sized frame with the photo's face at a typical kiosk distance (~1/3 height)."""
    rgb = decode_image((PHOTOS / rel).read_bytes(), max_bytes=64 << 20)
    scale = min(w / rgb.shape[1], h / rgb.shape[0])
    small = cv2.resize(rgb, (int(rgb.shape[1] * scale), int(rgb.shape[0] * scale)))
    out = np.full((h, w, 3), 90, np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


def pct(xs: list[float]) -> str:
    a = np.array(xs) * 1000
    return f"{np.percentile(a, 50):7.1f} {np.percentile(a, 95):7.1f}"


def ours(frames: list[np.ndarray], index: GalleryIndex) -> dict[str, list[float]]:
    engine = get_engine()
    out: dict[str, list[float]] = {
        k: [] for k in ("detect", "landmarks", "encode", "match", "total")
    }
    for rgb in frames:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        faces = engine.detect(rgb, LIVE, timings)
        t1 = time.perf_counter()
        vec = engine.encode(rgb, faces[0])
        t2 = time.perf_counter()
        index.search(vec)
        t3 = time.perf_counter()
        out["detect"].append(timings["detect"])
        out["landmarks"].append(timings["landmarks"])
        out["encode"].append(t2 - t1)
        out["match"].append(t3 - t2)
        out["total"].append(t3 - t0)
    return out


def baseline(frames: list[np.ndarray], known: np.ndarray) -> dict[str, list[float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition as fr
    out: dict[str, list[float]] = {k: [] for k in ("detect", "encode", "match", "total")}
    for rgb in frames:
        t0 = time.perf_counter()
        locs = fr.face_locations(rgb)
        t1 = time.perf_counter()
        enc = fr.face_encodings(rgb, locs)[0]
        t2 = time.perf_counter()
        fr.compare_faces(known, enc, tolerance=0.6)
        t3 = time.perf_counter()
        for k, v in zip(out, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            out[k].append(v)
    return out


def latency(n_frames: int) -> None:
    rng = np.random.default_rng(0)
    gallery = rng.normal(0, 0.09, (1000, 128)).astype(np.float32)
    index = GalleryIndex()
    index.replace_all((i, i, v) for i, v in enumerate(gallery))
    print("\nPer-frame latency, one face, gallery 1,000 (ms: p50 p95)")
    for w, h in ((640, 480), (1280, 720)):
        frames = [frame(FRAME_SOURCES[i % len(FRAME_SOURCES)], w, h) for i in range(n_frames)]
        ours(frames[:2], index)  # warm-up: first calls allocate dlib's buffers
        baseline(frames[:2], gallery.astype(np.float64))
        known = gallery.astype(np.float64)
        a: dict[str, list[float]] = {}
        b: dict[str, list[float]] = {}
        for f in frames:  # interleaved frame by frame, so changing load hits both alike
            for into, got in ((a, ours([f], index)), (b, baseline([f], known))):
                for stage, values in got.items():
                    into.setdefault(stage, []).extend(values)
        print(f"  {w}x{h}        ours p50/p95     face_recognition p50/p95")
        for stage in ("detect", "landmarks", "encode", "match", "total"):
            base = pct(b[stage]) if stage in b else "   (in encode)  "
            print(f"    {stage:<10} {pct(a[stage])}      {base}")


def encoder_alone(n: int) -> None:
    """The same face encoded by both, interleaved, so machine load hits both alike."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition as fr
    engine = get_engine()
    rgb = frame(FRAME_SOURCES[0], 640, 480)
    face = engine.detect(rgb, LIVE)[0]
    left, top, right, bottom = face.box
    a, b = [], []
    for _ in range(n):
        t = time.perf_counter()
        engine.encode(rgb, face)
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        fr.face_encodings(rgb, [(top, right, bottom, left)])
        b.append(time.perf_counter() - t)
    print("\nEncoder alone, same face, interleaved (ms: p50 p95)")
    print(f"    ours (68-point chip) {pct(a)}    face_recognition (5-point) {pct(b)}")


def one_to_n(sizes: list[int], probes: int = 20) -> None:
    print("\n1:N match of one probe (ms: p50 p95); peak RSS after each size")
    print("  N          ours (float32 matrix)   baseline compare_faces (float64)   RSS MB")
    rng = np.random.default_rng(1)
    for n in sizes:
        gallery = rng.normal(0, 0.09, (n, 128)).astype(np.float32)
        index = GalleryIndex()
        index.replace_all((i, i // 2, v) for i, v in enumerate(gallery))
        known = gallery.astype(np.float64)
        qs = [
            gallery[int(rng.integers(n))] + rng.normal(0, 0.03, 128).astype(np.float32)
            for _ in range(probes)
        ]
        a = []
        for q in qs:
            t = time.perf_counter()
            index.search(q)
            a.append(time.perf_counter() - t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import face_recognition as fr
        b = []
        for q in qs:  # as many probes as ours: percentiles of the same size
            t = time.perf_counter()
            fr.compare_faces(known, q.astype(np.float64), tolerance=0.6)
            b.append(time.perf_counter() - t)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {n:<10} {pct(a)}            {pct(b)}                     {rss:7.0f}")
        del index, known, gallery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    args = parser.parse_args()
    if not PHOTOS.exists():
        sys.exit(f"{PHOTOS} is absent: the benchmark uses the shared photos")
    import dlib

    print(
        f"dlib {dlib.__version__}, BLAS in dlib: {getattr(dlib, 'DLIB_USE_BLAS', '?')}, "
        f"cpus allowed: {len(os.sched_getaffinity(0))}"
    )
    latency(args.frames)
    encoder_alone(args.frames)
    one_to_n([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
