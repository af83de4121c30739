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


def test_code_is_ruff_formatted() -> None:
    out = run("ruff", "format", "--check", ".")
    assert out.returncode == 0, out.stdout[-4000:]


def test_layers_point_one_way() -> None:
    """The import-linter contract in pyproject.toml: kiosk_ui > domains > web/recognition > core."""
    lint = PROJECT_ROOT / ".venv" / "bin" / "lint-imports"
    command = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    out = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:]
    assert "1 kept, 0 broken" in out.stdout


def test_no_module_imports_itself_back() -> None:
    """No import cycle between any two modules of ours (TYPE_CHECKING imports excluded)."""
    import grimp

    packages = ("core", "models", "web", "recognition", "checkin", "transport", "hotel")
    graph = grimp.build_graph(
        *packages, "seed", "rehearsal", "kiosk_ui", exclude_type_checking_imports=True
    )
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if module < imported and graph.chain_exists(imported, module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def test_a_broken_layer_would_be_caught() -> None:
    """The contract can fail: a domain importing the page package is reported as broken."""
    import grimp

    graph = grimp.build_graph("core", "models", "web", "checkin", "kiosk_ui")
    assert not graph.chain_exists("checkin", "kiosk_ui", as_packages=True)
    assert graph.chain_exists("kiosk_ui", "checkin", as_packages=True)
