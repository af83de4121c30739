"""App-level commands: seed the demo summit and serve it (they need every domain)."""

from __future__ import annotations

import json
import os
from datetime import datetime

import click

from core.cli import fail, open_runtime
from core.config import Config
from core.errors import SummitError
from core.logs import configure_logging
from core.served import record_served_url


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
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="server processes on ports port..port+N-1 (N > 1 needs Redis and a sticky proxy)",
    )
    @click.option(
        "--threads",
        default=256,
        show_default=True,
        type=click.IntRange(8, 4096),
        help="threads per server process (each open WebSocket holds one)",
    )
    @click.option(
        "--recognition-workers",
        default=-1,
        type=int,
        help="face recognition processes in all (default: one per core; 0: in the server itself)",
    )
    @click.option(
        "--debug", is_flag=True, help="Werkzeug's development server (never in production)"
    )
    @click.option(
        "--rehearse-speed",
        default=0.0,
        show_default=True,
        help="play the summit live on a simulated clock at this speed (0: off; ./dev demo uses 20)",
    )
    def serve(
        host: str,
        port: int,
        workers: int,
        threads: int,
        recognition_workers: int,
        debug: bool,
        rehearse_speed: float,
    ) -> None:
        """Run the web server (HTTP + Socket.IO): gunicorn with threads and a recognition pool."""
        from kiosk_ui.serving import ServeOptions, build_app, run_gunicorn, run_several
        from recognition.workers import default_size

        configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
        if recognition_workers < 0:
            recognition_workers = default_size()
        options = ServeOptions(host, port, threads, recognition_workers, rehearse_speed)
        record_served_url(Config.from_env().instance_path, host, port)
        if debug:
            from web.extensions import socketio

            app = build_app(options)
            click.echo(f"DEBUG server on http://{host}:{port}/ (Werkzeug; not for production)")
            socketio.run(app, host=host, port=port, debug=False, allow_unsafe_werkzeug=True)
            return
        if workers > 1:
            if rehearse_speed > 0:
                raise click.UsageError("--rehearse-speed runs in a single server process")
            ports = f"{port}..{port + workers - 1}"
            click.echo(f"serving {workers} processes on http://{host}:{ports}/ (see deploy/)")
            raise SystemExit(run_several(options, workers))
        click.echo(
            f"serving on http://{host}:{port}/  (console: /console, kiosk: /kiosk; gunicorn, "
            f"{threads} threads, {recognition_workers} recognition workers)"
        )
        run_gunicorn(options)
