"""Start real server processes (`python run.py serve`) for multi-process and browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.config import PROJECT_ROOT
from rehearsal.server import free_port, serve_process

__all__ = ["free_port", "run_cli", "server"]
server = serve_process


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
