"""The hotel commands of run.py, on a schema made from the models (the migration is the lead's)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from core import cli as core_cli
from core.runtime import Runtime
from models import Stay
from models.db import transaction
from run import cli
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, make_hotel, make_stay


@pytest.fixture
def commands(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # The test's runtime instead of Alembic on the instance database (and, should that ever
    # slip, an instance folder of the test's own).
    monkeypatch.setattr(core_cli, "open_runtime", lambda: runtime)
    monkeypatch.setenv("SUMMIT_INSTANCE", str(runtime.config.instance_path))
    return CliRunner()


def test_assign_rooms_then_release_no_shows_from_the_command_line(
    commands: CliRunner, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        stay_id = make_stay(db, make_attendee(db, runtime.pii).id, hotel).id
    out = commands.invoke(cli, ["assign-rooms", "--night", ARRIVAL.isoformat()])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["assigned"] == 1, out.output
    out = commands.invoke(cli, ["release-no-shows", "--at", "2026-12-08 05:00"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"released": 1, "by_hotel": {"HTL": 1}}
    with transaction(runtime.sessions) as db:
        stay = db.get(Stay, stay_id)
        assert stay is not None and stay.state == "no_show" and stay.room_id is None
    out = commands.invoke(cli, ["hotel-occupancy", "--night", ARRIVAL.isoformat()])
    assert out.exit_code == 0 and '"no_shows": 1' in out.output


def test_a_malformed_time_is_refused_by_the_command(commands: CliRunner) -> None:
    out = commands.invoke(cli, ["release-no-shows", "--at", "tomorrow"])
    assert out.exit_code == 2 and "tomorrow" in out.output
