"""run.py commands of venue check-in, run as a user would."""

from __future__ import annotations

from pathlib import Path

from checkin.codes import verify_code
from tests.servers import run_cli


def test_gate_key_and_entrance_code_commands_agree(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    key = run_cli(instance, "gate-public-key").strip()
    code = run_cli(instance, "issue-entrance-code", "--attendee", "12").strip()
    assert verify_code(key, code) == 12


def test_a_portal_link_for_an_unknown_attendee_fails_with_its_code(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    try:
        run_cli(instance, "issue-portal-link", "--attendee", "999")
    except RuntimeError as exc:
        assert "attendee_not_found" in str(exc)
    else:
        raise AssertionError("the command should have failed")
