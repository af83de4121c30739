"""`python run.py rehearse`: play the summit on a simulated clock and write the report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.config import Config
from rehearsal.plan import Scenario


def register(cli: click.Group) -> None:
    @cli.command("rehearse")
    @click.option(
        "--speed", default=60.0, show_default=True, help="simulated seconds per real second"
    )
    @click.option(
        "--seed", default=7, show_default=True, help="random seed (same seed, same figures)"
    )
    @click.option("--attendees", default=2000, show_default=True, help="size of the demo summit")
    @click.option(
        "--delay-share", default=0.0, show_default=True, help="share of flights made late"
    )
    @click.option("--delay-minutes", default=120, show_default=True)
    @click.option("--close-gate", "closed", multiple=True, help="gate code to close (repeatable)")
    @click.option("--lanes", default=2, show_default=True, help="lanes per gate")
    @click.option(
        "--service-seconds", default=6.0, show_default=True, help="seconds per person at a lane"
    )
    @click.option(
        "--from-db",
        "source",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="rehearse a copy of this SQLite database instead of the demo summit",
    )
    @click.option("--deadline-minutes", default=60.0, show_default=True, help="wall-clock limit")
    @click.option("--vehicles", type=int, default=None, help="demo fleet size (what-if; 60)")
    def rehearse(
        speed: float,
        seed: int,
        attendees: int,
        delay_share: float,
        delay_minutes: int,
        closed: tuple[str, ...],
        lanes: int,
        service_seconds: float,
        source: Path | None,
        deadline_minutes: float,
        vehicles: int | None,
    ) -> None:
        """Rehearse the summit through the real API on a copy; writes a report (JSON + page)."""
        from rehearsal.runner import rehearse as run
        from rehearsal.runner import save_report

        if vehicles is not None and vehicles < 1:
            raise click.BadParameter("at least one vehicle")
        if not 0 <= delay_share <= 1 or speed <= 0 or lanes < 1 or service_seconds <= 0:
            raise click.BadParameter("delay share 0-1, speed > 0, lanes >= 1, service seconds > 0")
        scenario = Scenario(
            seed=seed,
            speed=speed,
            delay_share=delay_share,
            delay_minutes=delay_minutes,
            closed_gates=closed,
            lanes=lanes,
            service_seconds=service_seconds,
            vehicles=vehicles,
        )
        report = run(scenario, attendees=attendees, source=source, deadline_s=deadline_minutes * 60)
        path = save_report(report, Config.from_env().instance_path / "rehearsals")
        click.echo(
            json.dumps(
                {
                    k: report[k]
                    for k in (
                        "attendees",
                        "wall_seconds",
                        "integrity",
                        "denials",
                        "journey",
                        "transport",
                        "pickup_categories",
                    )
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        click.echo(f"report: {path}  (page: /rehearsal?a={path.name})")
