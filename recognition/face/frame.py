"""One frame, start to vectors, as a pure function a process pool can run.

    analyse_frame(rgb, "mobilefacenet", LIVE, "main") -> FrameAnalysis

`analyse_frame` is top-level and picklable in all its arguments and its result (numpy arrays,
frozen dataclasses): a pool worker runs it on a frame it was sent and returns everything the
face service needs to decide, so the service does no model work itself. Its name and signature
are stable (issue 17's pool calls exactly this). The models are loaded once per process, per
engine, on first use (`engine_for`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from recognition.face.embedders import EngineInfo
from recognition.face.engine import PHOTO, DetectOptions, Engine, Face, main_face
from recognition.face.images import decode_image
from recognition.face.quality import IDENTIFY_GATES, Gates, measure, problem

ENCODE_MODES = ("main", "all", "none")


@dataclass(frozen=True)
class FaceAnalysis:
    """One detected face: where, its 68 landmarks (in `face`), quality, and its vector.

    `embedding` is None when the face was not encoded (not the main face, or it failed the
    quality gates: `problem` then holds the code, e.g. "blurry").
    """

    face: Face
    quality: dict[str, float]
    problem: str | None
    embedding: np.ndarray | None


@dataclass(frozen=True)
class FrameAnalysis:
    """Every face of one frame, which one is the main face, the engine and the stage times."""

    faces: tuple[FaceAnalysis, ...]
    main: int | None  # index into faces; None when no face, or a crowd of similar size
    engine: EngineInfo
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def main_face(self) -> FaceAnalysis | None:
        return None if self.main is None else self.faces[self.main]


@lru_cache(maxsize=2)
def engine_for(engine_name: str) -> Engine:
    """This process's models for one engine (dlib detector/landmarks + the embedder)."""
    return Engine(engine_name=engine_name)


def analyse_frame(
    rgb: np.ndarray,
    engine_name: str,
    options: DetectOptions = PHOTO,
    encode: str = "main",
    jitters: int = 0,
    gates: Gates = IDENTIFY_GATES,
) -> FrameAnalysis:
    """Detect faces, measure their quality, and embed the main face (or all, or none).

    rgb: (h, w, 3) uint8 RGB frame; engine_name: "mobilefacenet" or "dlib"; options: how hard
    to look (engine.LIVE for camera frames, PHOTO / ENROL for uploads); encode: "main" embeds
    the main face when it passes `gates`, "all" every face that passes, "none" nothing;
    jitters > 0 asks for a steadier (slower) vector, as enrolment does. Timings (seconds) are
    given for "detect", "landmarks", "quality" and "encode".
    """
    if encode not in ENCODE_MODES:
        raise ValueError(f"encode must be one of {ENCODE_MODES}")
    engine = engine_for(engine_name)
    timings: dict[str, float] = {}
    faces = engine.detect(rgb, options, timings)
    main = main_face(faces)
    main_index = None if main is None else faces.index(main)
    out = []
    for i, face in enumerate(faces):
        t0 = time.perf_counter()
        quality = measure(rgb, face)
        failure = problem(quality, gates)
        t1 = time.perf_counter()
        wanted = encode == "all" or (encode == "main" and i == main_index)
        vector = engine.encode(rgb, face, jitters) if wanted and failure is None else None
        timings["quality"] = timings.get("quality", 0.0) + t1 - t0
        timings["encode"] = timings.get("encode", 0.0) + time.perf_counter() - t1
        out.append(FaceAnalysis(face, quality, None if failure is None else failure.code, vector))
    return FrameAnalysis(tuple(out), main_index, engine.info, timings)


def analyse_image(
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    engine_name: str,
    options: DetectOptions = PHOTO,
    encode: str = "main",
) -> FrameAnalysis:
    """`analyse_frame` of an uploaded image's bytes: decoding (with every check of
    `images.decode_image`, which raises its FaceError) happens where the analysis does, so a
    pool worker, not the web process, spends the CPU, and a few kilobytes of JPEG cross to it
    instead of a megabyte of pixels."""
    rgb = decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return analyse_frame(rgb, engine_name, options, encode)
