"""run.py commands of venue check-in, run as a user would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from checkin.codes import TTL_SECONDS, read_code, verify_code
from checkin.errors import CheckInError
from core import cli as core_cli
from core.clock import SimClock, save_clock, saved_clock
from core.runtime import Runtime
from core.served import DEFAULT_URL, record_served_url
from models.db import transaction
from run import cli
from tests.factories import make_attendee
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


def test_an_entrance_code_beside_a_fast_demo_server_is_valid_on_its_clock(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    key = run_cli(instance, "gate-public-key").strip()
    plain = read_code(key, run_cli(instance, "issue-entrance-code", "--attendee", "7").strip())
    assert plain.expires - plain.issued == timedelta(seconds=TTL_SECONDS)  # wall clock
    summit = datetime(2026, 12, 7, 1, 0)
    save_clock(SimClock(summit, 20.0), instance / "demo-rehearsal.json")  # as the demo does
    code = run_cli(instance, "issue-entrance-code", "--attendee", "7").strip()
    entrance = read_code(key, code, now=summit + timedelta(minutes=10))  # 30 real s later
    assert summit <= entrance.issued <= summit + timedelta(minutes=5)
    assert entrance.expires - entrance.issued == timedelta(seconds=TTL_SECONDS * 20)
    with pytest.raises(CheckInError):  # the code follows the demo's clock, not the wall's
        read_code(key, code, now=plain.issued)


def test_a_stale_demo_clock_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "demo-rehearsal.json"
    save_clock(SimClock(datetime(2026, 12, 7, 1, 0), 20.0), path)
    assert saved_clock(path) is not None
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data | {"wall": data["wall"] - 3600}))  # the server stopped
    assert saved_clock(path) is None
    path.write_text("{}")
    assert saved_clock(path) is None


def test_a_portal_link_names_the_running_servers_address(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(runtime.sessions) as db:
        attendee = make_attendee(db, runtime.pii).id
    monkeypatch.setattr(core_cli, "open_runtime", lambda: runtime)
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    instance = runtime.config.instance_path

    def link() -> str:
        done = CliRunner().invoke(cli, ["issue-portal-link", "--attendee", str(attendee)])
        assert done.exit_code == 0, done.output
        return str(json.loads(done.stdout)["url"])

    assert link().startswith(f"{DEFAULT_URL}/p/")  # no server has run here
    record_served_url(instance, "0.0.0.0", 8123)  # as `serve --port 8123` does (this pid lives)
    assert link().startswith("http://127.0.0.1:8123/p/")
    data = json.loads((instance / "served.json").read_text())
    (instance / "served.json").write_text(json.dumps(data | {"pid": 2**22 + 7}))  # it stopped
    assert link().startswith(f"{DEFAULT_URL}/p/")
    monkeypatch.setenv("PUBLIC_URL", "https://summit.example.cn/")  # behind a proxy
    assert link().startswith("https://summit.example.cn/p/")
