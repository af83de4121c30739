"""A `run.py serve` process the fault tests can kill with SIGKILL (serve_process hides its pid)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.config import PROJECT_ROOT
from rehearsal.server import _wait_until_up, free_port


@contextmanager
def killable_server(
    instance: Path, env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server on a free loopback port; yields (base URL, process) and stops what is left."""
    port = free_port()
    log_path = instance / f"server-{port}.log"
    full_env = {**os.environ, "SUMMIT_INSTANCE": str(instance), "LOG_LEVEL": "WARNING", **env}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(proc, f"http://127.0.0.1:{port}", log_path)
            yield f"http://127.0.0.1:{port}", proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
