"""The code passes its own linters: ruff (style, bugs) and strict mypy (types) on every package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.config import PROJECT_ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900
    )


def test_ruff_finds_nothing() -> None:
    out = run("ruff", "check", ".")
    assert out.returncode == 0, out.stdout[-4000:]


@pytest.mark.slow
def test_strict_mypy_finds_nothing() -> None:
    out = run("mypy")
    assert out.returncode == 0, out.stdout[-4000:]
