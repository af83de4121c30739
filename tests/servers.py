"""Start real server processes (`python run.py serve`) for multi-process and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from core.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(instance: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a run.py command against an instance folder; returns stdout, raises on failure."""
    full_env = {**os.environ, "SUMMIT_INSTANCE": str(instance), **(env or {})}
    out = subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"run.py {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout


@contextmanager
def server(
    instance: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """A `run.py serve` process on a free loopback port; yields its base URL, stops it after."""
    port = port or free_port()
    full_env = {
        **os.environ,
        "SUMMIT_INSTANCE": str(instance),
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    log = open(instance / f"server-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "run.py", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {(instance / f'server-{port}.log').read_text()[-2000:]}"
                )
            try:
                if requests.get(f"{base}/api/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
