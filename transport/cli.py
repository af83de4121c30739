"""Transport commands for run.py: plan transfers, change an estimate, print the board."""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from core.clock import to_utc
from core.errors import SummitError
from models.db import transaction


def _echo(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def register(cli: click.Group) -> None:
    """Add plan-pickups, plan-departures, flight-estimate and arrivals-board."""
    from core.cli import fail, open_runtime
    from transport import board, delays, service
    from transport.requests import Settings

    def plan(kind: str, day: date | None, max_wait: int, limit: float) -> None:
        rt = open_runtime()
        settings = Settings(max_wait=max_wait, time_limit=limit)
        fn = service.plan_pickups if kind == "pickup" else service.plan_departures
        try:
            with transaction(rt.sessions) as db:  # none open yet: the solve runs outside any
                report = fn(db, day=day, settings=settings)
        except SummitError as exc:
            fail(exc)
        _echo(report.to_dict())

    day_opt = click.option(
        "--day",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="only legs on this local date (default: all unplanned)",
    )
    wait_opt = click.option(
        "--max-wait",
        default=60,
        show_default=True,
        help="longest wait after landing, baggage included (minutes)",
    )
    limit_opt = click.option(
        "--time-limit",
        default=3.0,
        show_default=True,
        help="planner time limit (seconds); greedy answers after it",
    )

    @cli.command("plan-pickups")
    @day_opt
    @wait_opt
    @limit_opt
    def plan_pickups(day: datetime | None, max_wait: int, time_limit: float) -> None:
        """Plan airport and station pickups for every arrival without a trip."""
        plan("pickup", day.date() if day else None, max_wait, time_limit)

    @cli.command("plan-departures")
    @day_opt
    @wait_opt
    @limit_opt
    def plan_departures(day: datetime | None, max_wait: int, time_limit: float) -> None:
        """Plan departure transfers (backwards from each flight) for legs without a trip."""
        plan("departure", day.date() if day else None, max_wait, time_limit)

    @cli.command("flight-estimate")
    @click.argument("flight_id", type=int)
    @click.argument("estimated", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
    def flight_estimate(flight_id: int, estimated: datetime) -> None:
        """Set a flight's estimated time (local summit time) and re-plan the trips it touches."""
        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                report = delays.change_estimate(db, flight_id, to_utc(estimated), "cli")
        except SummitError as exc:
            fail(exc)
        _echo(report.to_dict())

    @cli.command("arrivals-board")
    @click.option("--hours", default=6, show_default=True)
    def arrivals_board(hours: int) -> None:
        """Print the arrivals board (flights from 2 h ago to --hours ahead)."""
        rt = open_runtime()
        with rt.sessions() as db:
            _echo(board.arrivals_board(db, hours=hours))
