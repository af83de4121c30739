"""Pools of recognition processes: every core decodes faces and speech, none without bound.

One server process (threads) owns two pools of worker processes: faces (`size` workers, by
default one per core; each loads the face models once, in the pool's initializer) and speech
(`size - 1` workers, at least one; each builds its speech engines on its first utterance and
keeps them). Workers run top-level functions on the frames and audio they are sent; a request
thread waits for its answer without holding a database connection or a write lock (callers do
face work before their first query, and read what speech needs in a short transaction before
the audio is decoded).

Who goes first when the cores are all busy (the operating system's scheduler decides, by nice
level): the web process (nice 0: a gate pass by code, a phone's code, a driver's list take a
few milliseconds each), then the face workers (nice FACE_NICE: a person waits at a gate), then
the speech workers (nice SPEECH_NICE: a question at a kiosk can wait a moment). Idle cores are
used by whoever has work; priorities only matter under load.

Back-pressure: at most `limit` calls are queued or running at once. One more is refused at once
with `Busy` (`503 {"error": "busy", "message": ..., "retry_after": s}`, and a `Retry-After`
header on HTTP), never put in an unbounded queue. `stats()` reports the queue, the work in
hand and the latency of recent calls for the console's system panel
(`GET /api/system/recognition`).

    pool = RecognitionPool(size=2, nice=FACE_NICE)
    faces = pool.call(detect_faces, rgb, PHOTO)       # in a worker process
    install(rt, pool)                                 # the runtime's face service uses it
    speech = RecognitionPool(size=1, nice=SPEECH_NICE, faces=False)
    heard = speech.transcribe(instance, "en", words, pcm)   # a spoken question, in a worker
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from core.errors import SummitError
from core.runtime import Runtime
from recognition.face.engine import PHOTO, DetectOptions, Engine, Face, live_detector
from recognition.speech.audio import Pcm
from recognition.speech.catalogue import SummitWords
from recognition.speech.engines import Transcript, transcribe_whole

__all__ = [
    "FACE_NICE",
    "SPEECH_NICE",
    "Busy",
    "PooledAnalyser",
    "PooledEngine",
    "RecognitionPool",
    "analyse_in_worker",
    "default_size",
    "detect_faces",
    "encode_face",
    "install",
    "pool_of",
    "refuse_if_full",
    "speech_pool_of",
    "transcribe_in_worker",
]

T = TypeVar("T")
LATENCY_WINDOW = 500  # recent calls the percentiles are taken over
CALL_TIMEOUT = 30.0  # seconds a request waits for its answer before giving up
FACE_NICE = 3  # below the web process (about half its CPU share under contention)
SPEECH_NICE = 10  # below the face workers (about a tenth of the web process's share)


class Busy(SummitError):
    """Every worker is busy and the bounded queue is full: retry after a short wait."""

    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "the recognition workers are all busy; retry in a moment",
            "busy",
            retry_after=retry_after,
        )


def default_size() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# -- in the worker processes ----------------------------------------------------------------
def _start_worker(nice: int, faces: bool) -> None:
    """Pool initializer: the worker's priority, and the selected face engine's models (once)."""
    if nice:
        os.nice(nice)
    if faces:
        _worker_engine()


def _worker_engine() -> Engine:
    from recognition.face.api import get_engine  # cached per process

    return get_engine()


def analyse_in_worker(*args: Any, **kwargs: Any) -> Any:
    """`recognition.face.frame.analyse_frame` (the face service's per-frame function)."""
    from recognition.face import frame

    return frame.analyse_frame(*args, **kwargs)  # type: ignore[attr-defined, unused-ignore]


def detect_faces(
    rgb: np.ndarray, opts: DetectOptions = PHOTO
) -> tuple[list[Face], dict[str, float]]:
    """Faces and landmarks of one RGB frame, with the seconds spent per step."""
    timings: dict[str, float] = {}
    faces = _worker_engine().detect(rgb, opts, timings)
    return faces, timings


def encode_face(rgb: np.ndarray, face: Face, jitters: int = 0) -> np.ndarray:
    """The 128-d descriptor of one detected face."""
    return _worker_engine().encode(rgb, face, jitters)


_SPEECH: dict[str, Any] = {}  # instance path -> this worker's SpeechEngines


def transcribe_in_worker(
    instance: str, language: str, words: SummitWords, pcm: Pcm, room: str | None = None
) -> Transcript:
    """One uploaded utterance through this worker's engine for `language` (kept per process;
    `room`: the kiosk it was heard at, for engines that adapt to a room)."""
    from recognition.speech.registry import SpeechEngines

    engines = _SPEECH.get(instance)
    if engines is None:
        engines = _SPEECH[instance] = SpeechEngines(Path(instance))
    return transcribe_whole(engines.engine(language).open_stream(words, room), pcm.data)


def _timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


# -- in the server process ------------------------------------------------------------------
class RecognitionPool:
    """A bounded front of a process pool; `call` runs a top-level function in a worker."""

    def __init__(
        self, size: int | None = None, limit: int | None = None, nice: int = 0, faces: bool = True
    ) -> None:
        self.size = size or default_size()
        # Camera pages send 4 frames a second each: 8 calls per worker in hand (under 0.5 s of
        # waiting at about 60 ms a frame) before `busy`; 4 refused frames of people mid-turn at
        # 12 lanes (benchmarks/capacity.py) and cost them the liveness check.
        self.limit = limit or 8 * self.size
        self.nice = nice
        self.purpose = "faces" if faces else "speech"
        # forkserver: workers are not forked from a server process that already runs threads.
        context = multiprocessing.get_context("forkserver")
        self._executor = ProcessPoolExecutor(
            self.size, mp_context=context, initializer=_start_worker, initargs=(nice, faces)
        )
        self.installed = False  # the face service decodes through this pool
        self._lock = threading.Lock()
        self._in_hand = 0  # queued or running
        self._running = 0
        self._done = 0
        self._refused = 0
        self._failed = 0
        self._latency: deque[float] = deque(maxlen=LATENCY_WINDOW)  # submit to answer
        self._compute: deque[float] = deque(maxlen=LATENCY_WINDOW)  # inside the worker

    def refuse_if_full(self) -> None:
        """`Busy` at once when the pool is full: a request checks before it reads its upload,
        so an overloaded server spends nothing on work it would refuse anyway (`call` checks
        again; this is only the early, cheap answer)."""
        with self._lock:
            self._refuse_if_full()

    def _refuse_if_full(self) -> None:  # with self._lock held
        if self._in_hand >= self.limit:
            self._refused += 1
            raise Busy(self._retry_after())

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` in a worker and wait; `Busy` when `limit` calls are in hand."""
        with self._lock:
            self._refuse_if_full()
            self._in_hand += 1
        start = time.perf_counter()
        try:
            future = self._executor.submit(_timed, fn, *args, **kwargs)
            answer: tuple[T, float] = future.result(timeout=CALL_TIMEOUT)
            result, compute = answer
        except BrokenProcessPool as exc:
            with self._lock:
                self._failed += 1
            raise SummitError(
                "a recognition worker stopped; retry in a moment", "busy", 503, retry_after=2
            ) from exc
        finally:
            with self._lock:
                self._in_hand -= 1
        with self._lock:
            self._done += 1
            self._latency.append(time.perf_counter() - start)
            self._compute.append(compute)
        return result

    def transcribe(
        self,
        instance: Path,
        language: str,
        words: SummitWords,
        pcm: Pcm,
        room: str | None = None,
    ) -> Transcript:
        """One uploaded utterance decoded in a worker (its engine kept there)."""
        return self.call(transcribe_in_worker, str(instance), language, words, pcm, room)

    def warm(self) -> None:
        """Start every worker now (each loads the models) instead of at the first requests."""
        futures = [self._executor.submit(time.sleep, 0.2) for _ in range(self.size)]
        for future in futures:
            future.result()

    def _retry_after(self) -> int:
        # About the time the queue ahead needs, at the recent per-call cost, at least 1 s.
        recent = list(self._compute)[-50:]
        per_call = sum(recent) / len(recent) if recent else 0.1
        return max(1, round(self._in_hand * per_call / self.size + 0.5))

    def stats(self) -> dict[str, Any]:
        """Queue, work in hand and latency of recent calls (milliseconds)."""
        with self._lock:
            latency = sorted(self._latency)
            compute = sorted(self._compute)
            in_hand = self._in_hand
            body: dict[str, Any] = {
                "purpose": self.purpose,
                "workers": self.size,
                "nice": self.nice,
                "installed": self.installed,
                "limit": self.limit,
                "in_hand": in_hand,
                "queued": max(0, in_hand - self.size),
                "done": self._done,
                "refused_busy": self._refused,
                "failed": self._failed,
            }
        body["latency_ms"] = _percentiles(latency)
        body["compute_ms"] = _percentiles(compute)
        return body

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _percentiles(values: list[float]) -> dict[str, float | None]:
    def pick(q: float) -> float | None:
        if not values:
            return None
        return round(1000 * values[min(len(values) - 1, int(q * len(values)))], 1)

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "count": len(values)}


class PooledEngine(Engine):
    """The face service's engine, sending detection and encoding to the pool's workers."""

    def __init__(self, pool: RecognitionPool) -> None:  # no models in this process
        self.pool = pool

    @cached_property
    def live_detector(self) -> str:
        """What the workers, started with this environment, load (read once: streams ask on
        every frame)."""
        return live_detector()

    def detect(
        self, rgb: np.ndarray, opts: DetectOptions = PHOTO, timings: dict[str, float] | None = None
    ) -> list[Face]:
        faces, spent = self.pool.call(detect_faces, rgb, opts)
        if timings is not None:
            for step, seconds in spent.items():
                timings[step] = timings.get(step, 0.0) + seconds
        return faces

    def encode(self, rgb: np.ndarray, face: Face, jitters: int = 0) -> np.ndarray:
        return self.pool.call(encode_face, rgb, face, jitters)


class PooledAnalyser:
    """The face service's per-frame function (`analyse`), run in the pool's workers."""

    def __init__(self, pool: RecognitionPool) -> None:
        self.pool = pool

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.pool.call(analyse_in_worker, *args, **kwargs)


def install(rt: Runtime, pool: RecognitionPool) -> None:
    """Make the runtime's face service decode through `pool` (builds the service if needed).

    A service with a per-frame function (`analyse`) gets it run in the pool; any direct use of
    its engine (detect, encode) goes to the pool too.
    """
    from recognition.face.api import face_service

    rt.extensions["recognition_pool"] = pool
    service = face_service(rt)
    if hasattr(service, "analyse"):
        service.analyse = PooledAnalyser(pool)
    service.engine = PooledEngine(pool)
    pool.installed = True
    pool.warm()


def pool_of(rt: Runtime) -> RecognitionPool | None:
    """The face pool serving this runtime, if one was installed."""
    pool = rt.extensions.get("recognition_pool")
    return pool if isinstance(pool, RecognitionPool) else None


def refuse_if_full(pool: RecognitionPool | None) -> None:
    """`Busy` now if the server's pool (when it has one) is full; see the method."""
    if pool is not None:
        pool.refuse_if_full()


def speech_pool_of(rt: Runtime) -> RecognitionPool | None:
    """The speech pool serving this runtime, if the server started one."""
    pool = rt.extensions.get("speech_pool")
    return pool if isinstance(pool, RecognitionPool) else None
