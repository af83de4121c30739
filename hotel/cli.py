"""Hotel commands for run.py: release no-shows, pre-assign tonight's rooms, print occupancy."""

from __future__ import annotations

import json
from datetime import datetime

import click

from core.clock import to_utc, utcnow
from core.errors import SummitError
from models.db import transaction

LOCAL_TIME = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"])


def _echo(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def register(cli: click.Group) -> None:
    """Add release-no-shows, assign-rooms and hotel-occupancy."""
    from core import cli as core
    from hotel import release, service, views
    from hotel.clock import hotel_night

    @cli.command("release-no-shows")
    @click.option("--at", "at", type=LOCAL_TIME, help="local time to judge by (default now)")
    def release_no_shows(at: datetime | None) -> None:
        """Release reservations not checked in by their hotel's cut-off (audited, alerted)."""
        rt = core.open_runtime()
        now = to_utc(at) if at else utcnow()
        try:
            with transaction(rt.sessions) as db:
                _echo(release.release_no_shows(db, now, "cli"))
        except SummitError as exc:
            core.fail(exc)

    @cli.command("assign-rooms")
    @click.option("--night", type=click.DateTime(["%Y-%m-%d"]), help="arrival night (tonight)")
    def assign_rooms(night: datetime | None) -> None:
        """Pre-assign rooms to all reserved arrivals of a night, before they reach the kiosk."""
        rt = core.open_runtime()
        day = night.date() if night else hotel_night(utcnow())
        with transaction(rt.sessions) as db:
            _echo({"night": day, **service.assign_arrivals(db, day, "cli")})

    @cli.command("hotel-occupancy")
    @click.option("--night", type=click.DateTime(["%Y-%m-%d"]), help="night (default tonight)")
    def occupancy(night: datetime | None) -> None:
        """Print rooms, block use, guests and shortages per hotel for a night."""
        rt = core.open_runtime()
        day = night.date() if night else hotel_night(utcnow())
        with transaction(rt.sessions) as db:
            for row in views.occupancy(db, day):
                _echo(
                    {
                        "hotel": row["hotel"]["code"],
                        **{k: v for k, v in row.items() if k != "hotel"},
                    }
                )
