"""Production serving: gunicorn (threads) with a recognition pool, or several such servers.

`python run.py serve` runs one gunicorn server with one worker process of many threads
(Flask-SocketIO's threading mode: HTTP, long-polling and WebSocket through simple-websocket)
and a pool of recognition processes, one per core, for face detection and encoding
(recognition.workers). One web process keeps every Socket.IO session in one place, so no sticky
sessions are needed on one box, while every core decodes faces.

`--workers N` (N > 1) starts N such servers on ports port .. port+N-1, each with its share of
the cores for its pool; they share live events through Redis (SOCKETIO_MESSAGE_QUEUE, required)
and one PostgreSQL, and belong behind a proxy with sticky sessions (deploy/nginx.conf:
`ip_hash`), because a Socket.IO session that long-polls must keep reaching the same process.
Werkzeug's development server runs only with `--debug`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from core.config import PROJECT_ROOT
from core.runtime import Runtime


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    threads: int
    recognition_workers: int  # 0: decode in the server process itself
    rehearse_speed: float = 0.0


class _RedactingLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger with every line formatted (and redacted) by core.logs.JsonFormatter."""

    def setup(self, cfg: Any) -> None:
        from core.logs import JsonFormatter

        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            handler.setFormatter(JsonFormatter())
            if getattr(handler, "stream", None) is sys.stdout:  # access lines beside the rest
                handler.setStream(sys.stderr)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn configured in code; the app is built in the worker (nothing forked with threads)."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        o = self.options
        settings: dict[str, Any] = {
            "bind": [f"{o.host}:{o.port}"],
            "workers": 1,
            "worker_class": "gthread",
            # Each open WebSocket holds a thread for its lifetime; long-polls hold one per poll.
            "threads": o.threads,
            "timeout": 60,
            "graceful_timeout": 5,
            # An idle keep-alive connection stays open 75 s (nginx's default), longer than any
            # page or device waits between requests: a server closing one just as the client
            # reuses it loses that request ("connection reset"), which 5 s made happen under load.
            "keepalive": 75,
            "errorlog": "-",
            # One access line per request, as JSON through the project's redaction (tokens, codes,
            # search text and phone links hidden), on stderr beside the application's logs.
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "logger_class": _RedactingLogger,
            "loglevel": os.environ.get("LOG_LEVEL", "INFO").lower(),
            "proc_name": f"summit:{o.port}",
            "worker_exit": _worker_exit,
            "post_fork": _die_with_master,
            "control_socket_disable": True,  # several servers on one box would share its path
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return build_app(self.options)


_SERVED: list[Runtime] = []


def build_app(options: ServeOptions) -> Flask:
    """The served app: runtime, optional live rehearsal and the recognition pool."""
    from core.cli import open_runtime
    from kiosk_ui.app import create_app

    rt = open_runtime()
    clock = None
    if options.rehearse_speed > 0:
        from rehearsal.live_demo import start_clock

        clock = start_clock(rt, options.rehearse_speed)
    app = create_app(runtime=rt)
    _SERVED.append(rt)
    if options.recognition_workers > 0:
        start_pool(rt, options.recognition_workers)
    threading.Thread(target=_warm_understanding, name="warm-speech", daemon=True).start()
    if clock is not None:
        from rehearsal.live_demo import run_in_background

        run_in_background(rt, clock, options.port, options.rehearse_speed)
    return app


def start_pool(rt: Runtime, size: int) -> None:
    """Start the face and speech pools (recognition.workers); the face service gets its pool
    once the workers have loaded the models."""
    from recognition.workers import FACE_NICE, SPEECH_NICE, RecognitionPool, install

    limit = int(os.environ.get("RECOGNITION_QUEUE", "0")) or None  # default: 8 per worker
    pool = RecognitionPool(size=size, limit=limit, nice=FACE_NICE)
    rt.extensions["recognition_pool"] = pool
    speech = RecognitionPool(max(1, size - 1), limit, nice=SPEECH_NICE, faces=False)
    rt.extensions["speech_pool"] = speech
    threading.Thread(target=install, args=(rt, pool), name="recognition-pool", daemon=True).start()


def _warm_understanding() -> None:
    """Train the question classifiers now (seconds each), not in the first delegate's request."""
    from recognition.speech.catalogue import LANGUAGES
    from recognition.speech.classifier import classifier

    for language in LANGUAGES:
        classifier(language)


def _die_with_master(_server: Any, _worker: Any) -> None:
    """The worker ends at once when the master is killed (kill -9 stops the whole server)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _worker_exit(_server: Any, _worker: Any) -> None:
    for rt in _SERVED:
        for name in ("recognition_pool", "speech_pool"):
            pool = rt.extensions.get(name)
            if pool is not None:
                pool.close()


def run_gunicorn(options: ServeOptions) -> None:
    _Gunicorn(options).run()


def run_several(options: ServeOptions, workers: int) -> int:
    """N single-process servers on consecutive ports; stops them all when one stops or on TERM."""
    if not os.environ.get("SOCKETIO_MESSAGE_QUEUE"):
        raise SystemExit(
            "several workers need SOCKETIO_MESSAGE_QUEUE=redis://... to share live events "
            "(and DATABASE_URL=postgresql+psycopg://... for one database)"
        )
    share = max(1, options.recognition_workers // workers) if options.recognition_workers else 0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(PROJECT_ROOT / "run.py"),
                "serve",
                "--host",
                options.host,
                "--port",
                str(options.port + i),
                "--threads",
                str(options.threads),
                "--recognition-workers",
                str(share),
            ],
            cwd=PROJECT_ROOT,
        )
        for i in range(workers)
    ]

    def _stop(*_args: Any) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        _stop()
        for proc in procs:
            proc.wait()
    return max(proc.returncode or 0 for proc in procs)
