"""App-level commands: seed the demo summit and serve it (they need every domain)."""

from __future__ import annotations

import json
import os
from datetime import datetime

import click

from core.cli import fail, open_runtime
from core.errors import SummitError
from core.logs import configure_logging


def register(cli: click.Group) -> None:
    @cli.command("seed-demo")
    @click.option("--seed", default=2026, show_default=True, help="random seed (deterministic)")
    @click.option("--attendees", default=2000, show_default=True)
    @click.option(
        "--start", type=click.DateTime(["%Y-%m-%d"]), help="first arrival day (default today)"
    )
    def seed_demo(seed: int, attendees: int, start: datetime | None) -> None:
        """Fill an empty database with the demo summit (Fuzhou, two days, ~2,000 attendees)."""
        from seed import seed_summit

        rt = open_runtime()
        try:
            summary = seed_summit(
                rt, seed=seed, attendees=attendees, start=start.date() if start else None
            )
        except SummitError as exc:
            if exc.code != "already_seeded":
                fail(exc)
            click.echo(f"{exc.message} (delete {rt.config.instance_path}/summit.db to start over)")
            return
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))

    @cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option(
        "--rehearse-speed",
        default=0.0,
        show_default=True,
        help="play the summit live on a simulated clock at this speed (0: off; ./dev demo uses 20)",
    )
    def serve(host: str, port: int, rehearse_speed: float) -> None:
        """Run the web server (HTTP + Socket.IO)."""
        from kiosk_ui.app import create_app
        from web.extensions import socketio

        configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
        rt = open_runtime()
        clock = None
        if rehearse_speed > 0:
            from rehearsal.live_demo import start_clock

            clock = start_clock(rt, rehearse_speed)
        app = create_app(runtime=rt)
        if clock is not None:
            from rehearsal.live_demo import run_in_background

            run_in_background(rt, clock, port, rehearse_speed)
            click.echo(
                f"live rehearsal at {rehearse_speed:g}x from {clock.now():%Y-%m-%d %H:%M} UTC"
            )
        click.echo(f"serving on http://{host}:{port}/  (console: /console, kiosk: /kiosk)")
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
