"""Check-in commands for run.py: gate key, portal links, entrance codes, import, revocation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from models.db import transaction


def register(cli: click.Group) -> None:
    """Add gate-public-key, issue-portal-link, issue-entrance-code, revoke-attendee, import."""
    from core.cli import fail, open_runtime
    from core.config import Config
    from core.errors import SummitError
    from core.runtime import build_runtime

    @cli.command("gate-public-key")
    def gate_public_key() -> None:
        """Print the Ed25519 public key (base64) that gates use to verify entrance codes offline."""
        from checkin.codes import public_key_b64

        click.echo(public_key_b64(build_runtime(Config.from_env())))

    @cli.command("issue-portal-link")
    @click.option("--attendee", "attendee_id", type=int, required=True, help="attendee id")
    @click.option(
        "--base-url",
        default=None,
        help="address delegates reach (default: PUBLIC_URL, else the server running from this "
        "instance folder, else http://127.0.0.1:5000)",
    )
    def issue_portal_link(attendee_id: int, base_url: str | None) -> None:
        """Make a one-time link (and code) that opens the delegate's phone page; audited."""
        from checkin.portal import issue_portal_code
        from core import cli as core_cli  # looked up per call: tests hand in their runtime
        from core.served import public_url

        rt = core_cli.open_runtime()
        base_url = base_url or public_url(rt.config.instance_path)
        try:
            with transaction(rt.sessions) as db:
                code = issue_portal_code(db, attendee_id, "cli")
        except SummitError as exc:
            fail(exc)
            return
        url = f"{base_url.rstrip('/')}/p/{code}"
        click.echo(json.dumps({"attendee": attendee_id, "code": code, "url": url}))

    @cli.command("issue-entrance-code")
    @click.option("--attendee", "attendee_id", type=int, required=True, help="attendee id")
    def issue_entrance_code(attendee_id: int) -> None:
        """Print a fresh signed entrance code (valid 60 s) for testing a gate by hand.

        Beside a demo server whose clock runs faster (its instance folder's
        demo-rehearsal.json), the code is issued on that clock and lives as a phone's does.
        """
        from checkin.codes import code_ttl, issue_code
        from core.clock import saved_clock, use_clock

        rt = build_runtime(Config.from_env())
        demo = saved_clock(rt.config.instance_path / "demo-rehearsal.json")
        if demo is not None:
            use_clock(demo)
        click.echo(issue_code(rt, attendee_id, ttl=code_ttl(rt)))

    @cli.command("revoke-attendee")
    @click.argument("attendee_id", type=int)
    @click.option("--reason", required=True, help="why (5-500 characters; audited)")
    @click.option("--restore", is_flag=True, help="give a revoked attendee their access back")
    def revoke_attendee(attendee_id: int, reason: str, restore: bool) -> None:
        """Withdraw an attendee's access at gates, hotels, cars and phone (or --restore it)."""
        from checkin import registration
        from core import cli as core_cli  # looked up per call: tests hand in their runtime

        change = registration.restore_attendee if restore else registration.revoke_attendee
        rt = core_cli.open_runtime()
        try:
            with transaction(rt.sessions) as db:
                revoked = change(db, attendee_id, reason, "cli").revoked
        except SummitError as exc:
            fail(exc)
            return
        click.echo(json.dumps({"attendee": attendee_id, "revoked": revoked}))

    @cli.command("import-attendees")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_attendees(path: Path) -> None:
        """Import attendees from CSV/XLSX; the whole file lands or nothing (errors per row)."""
        import sys

        from tqdm import tqdm

        from checkin.importer import import_attendees as run_import
        from checkin.importer import read_rows

        rt = open_runtime()
        try:
            rows = read_rows(path.name, path.read_bytes())
            with transaction(rt.sessions) as db, tqdm(total=len(rows), unit="row") as bar:
                report = run_import(db, rt.pii, rows, "cli", progress=bar.update)
        except SummitError as exc:
            fail(exc)
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        if not report.ok:
            click.echo(f"{len(report.errors)} rows have errors; nothing was imported", err=True)
            sys.exit(1)
