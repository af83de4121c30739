"""Face pipeline speed, per embedding engine, against the face_recognition baseline, in one run.

    .venv/bin/python benchmarks/face_bench.py [--frames 20] [--sizes 1000,100000,1000000] [--json]

With --json: one JSON object {"default_engine": name, "engines": {name: {...}}, "baseline":
{...}}, each with frame_640_p50_ms, frame_640_p95_ms, frame_1280_p50_ms, encode_p50_ms (and
per-stage figures; "one_to_n" holds 1:N times for 128-d and 192-d galleries).

Per-frame latency (detect, landmarks, encode, match; p50/p95) at 640x480 and 1280x720 on frames
made from the shared photos (one face each), and 1:N match time for galleries of 1k-1M
templates. Frames are searched by the camera-frame detector (BlazeFace where installed, else
dlib's HOG; printed first). "hog" (hog_640_p50_ms, ...) is the same frame, detect to decision,
searched by dlib's HOG detector as before BlazeFace; "tracked" (tracked_640_p50_ms) by HOG only
around the face just found (`DetectOptions.near`), as HOG streams do between whole-frame
searches. Baseline =
face_recognition as its examples use it: face_locations (full-frame HOG, one upsampling),
face_encodings, compare_faces over every known encoding. BLAS is pinned to one
thread so that "one core" holds for numpy too; run under `taskset -c 0` for dlib as well.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import resource
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.face import ENGINE_SPACES, selected_engine  # noqa: E402
from recognition.face.decision import decide, load_thresholds  # noqa: E402
from recognition.face.engine import LIVE, live_detector, near_region  # noqa: E402
from recognition.face.frame import analyse_frame  # noqa: E402
from recognition.face.gallery import GalleryIndex  # noqa: E402
from recognition.face.images import decode_image  # noqa: E402
from recognition.face.stream import STEP  # noqa: E402

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


def pct(xs: list[float]) -> str:  # "p50 p95" in ms
    a = np.array(xs) * 1000
    return f"{np.percentile(a, 50):7.1f} {np.percentile(a, 95):7.1f}"


def ours(frames: list[np.ndarray], index: GalleryIndex, engine: str) -> dict[str, list[float]]:
    """Detect to decision through the service's own per-frame function and decision rule."""
    t = load_thresholds(None, engine)
    out: dict[str, list[float]] = {
        k: [] for k in ("detect", "landmarks", "encode", "match", "total", "hog", "tracked")
    }
    for rgb in frames:
        t0 = time.perf_counter()
        analysis = analyse_frame(rgb, engine, LIVE, "main")
        t1 = time.perf_counter()
        main = analysis.main_face
        if main is not None and main.embedding is not None:
            decide(index.search(main.embedding), t)
        t2 = time.perf_counter()
        out["detect"].append(analysis.timings.get("detect", 0.0))
        out["landmarks"].append(analysis.timings.get("landmarks", 0.0))
        out["encode"].append(analysis.timings.get("encode", 0.0))
        out["match"].append(t2 - t1)
        out["total"].append(t2 - t0)
        # The same frame searched by HOG, whole and around the face just found (what a HOG
        # stream's region search costs between its whole-frame searches)
        hog = replace(LIVE, detector="hog")
        searches = [("hog", hog)]
        if main is not None:
            searches.append(("tracked", replace(hog, near=near_region(main.face.box, STEP))))
        for stage, opts in searches:
            t3 = time.perf_counter()
            again = analyse_frame(rgb, engine, opts, "main").main_face
            if again is not None and again.embedding is not None:
                decide(index.search(again.embedding), t)
            out[stage].append(time.perf_counter() - t3)
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


def ms(xs: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(xs) * 1000, q)), 1)


def latency(n_frames: int, engines: list[str], report: dict[str, dict[str, float]]) -> None:
    rng = np.random.default_rng(0)
    galleries = {
        e: rng.normal(0, 0.09, (1000, ENGINE_SPACES[e][1])).astype(np.float32) for e in engines
    }
    indexes = {}
    for e, g in galleries.items():
        indexes[e] = GalleryIndex(g.shape[1])
        indexes[e].replace_all((i, i, v) for i, v in enumerate(g))
    known = galleries.get("dlib", rng.normal(0, 0.09, (1000, 128)).astype(np.float32))
    known = known.astype(np.float64)
    say("\nPer-frame latency, one face, gallery 1,000, detect to decision (ms: p50 p95)")
    for w, h in ((640, 480), (1280, 720)):
        frames = [frame(FRAME_SOURCES[i % len(FRAME_SOURCES)], w, h) for i in range(n_frames)]
        for e in engines:
            ours(frames[:2], indexes[e], e)  # warm-up: first calls allocate buffers
        baseline(frames[:2], known)
        got: dict[str, dict[str, list[float]]] = {name: {} for name in [*engines, "baseline"]}
        for f in frames:  # interleaved frame by frame, so changing load hits all alike
            runs = [(e, ours([f], indexes[e], e)) for e in engines]
            for name, res in [*runs, ("baseline", baseline([f], known))]:
                for stage, values in res.items():
                    got[name].setdefault(stage, []).extend(values)
        say(f"  {w}x{h}   " + "   ".join(f"{n:>16}" for n in got))
        for stage in ("detect", "landmarks", "encode", "match", "total", "hog", "tracked"):
            cells = [pct(got[n][stage]) if stage in got[n] else "      -" for n in got]
            say(f"    {stage:<10} " + "   ".join(f"{c:>16}" for c in cells))
        for name, stages in got.items():
            row = report.setdefault(name, {})
            row[f"frame_{w}_p50_ms"] = ms(stages["total"], 50)
            row[f"frame_{w}_p95_ms"] = ms(stages["total"], 95)
            for stage, values in stages.items():
                if stage != "total":
                    row[f"{stage}_{w}_p50_ms"] = ms(values, 50)
            if w == 640:
                row["encode_p50_ms"] = ms(stages["encode"], 50)


def one_to_n(sizes: list[int], report: dict[str, object], probes: int = 20) -> None:
    say("\n1:N match of one probe (ms: p50 p95); peak RSS after each size")
    say("  dim  N          ours (float32 matrix)   baseline compare_faces (float64)   RSS MB")
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition as fr
    for dim in (128, 192):
        for n in sizes:
            gallery = rng.normal(0, 0.09, (n, dim)).astype(np.float32)
            index = GalleryIndex(dim)
            index.replace_all((i, i // 2, v) for i, v in enumerate(gallery))
            known = gallery.astype(np.float64)
            qs = [
                gallery[int(rng.integers(n))] + rng.normal(0, 0.03, dim).astype(np.float32)
                for _ in range(probes)
            ]
            a = []
            for q in qs:
                t = time.perf_counter()
                index.search(q)
                a.append(time.perf_counter() - t)
            b = []
            for q in qs[: max(3, probes // (1 + n // 100_000))]:
                t = time.perf_counter()
                fr.compare_faces(known, q.astype(np.float64), tolerance=0.6)
                b.append(time.perf_counter() - t)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            say(f"  {dim:<4} {n:<10} {pct(a)}            {pct(b)}                     {rss:7.0f}")
            report[f"{dim}d_{n}"] = {
                "ours_p50_ms": ms(a, 50),
                "ours_p95_ms": ms(a, 95),
                "baseline_p50_ms": ms(b, 50),
            }
            del index, known, gallery


QUIET = False


def say(text: str) -> None:
    print(text, file=sys.stderr if QUIET else sys.stdout)


def main() -> None:
    global QUIET
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--engines", default=",".join(ENGINE_SPACES))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    QUIET = args.json
    if not PHOTOS.exists():
        sys.exit(f"{PHOTOS} is absent: the benchmark uses the shared photos")
    import dlib

    say(
        f"dlib {dlib.__version__}, cpus allowed: {len(os.sched_getaffinity(0))}, "
        f"default engine {selected_engine()}, camera-frame detector {live_detector()}"
    )
    engines = [e for e in args.engines.split(",") if e]
    frames: dict[str, dict[str, float]] = {}
    latency(args.frames, engines, frames)
    matching: dict[str, object] = {}
    one_to_n([int(s) for s in args.sizes.split(",") if s], matching)
    result = {
        "default_engine": selected_engine(),
        "camera_detector": live_detector(),
        "engines": {e: frames[e] for e in engines},
        "baseline": {
            "name": "face_recognition 1.3.0 (face_locations + face_encodings)",
            **frames["baseline"],
        },
        "one_to_n": matching,
        "conditions": {
            "cpus_allowed": len(os.sched_getaffinity(0)),
            "frames": args.frames,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        },
    }
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
