"""Venue check-in commands for run.py: the gates' public key, portal links, entrance codes."""

from __future__ import annotations

import json

import click

from models.db import transaction


def register(cli: click.Group) -> None:
    """Add gate-public-key, issue-portal-link and issue-entrance-code."""
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
    @click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
    def issue_portal_link(attendee_id: int, base_url: str) -> None:
        """Make a one-time link (and code) that opens the delegate's phone page; audited."""
        from checkin.portal import issue_portal_code

        rt = open_runtime()
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
        """Print a fresh signed entrance code (valid 60 s) for testing a gate by hand."""
        from checkin.codes import issue_code

        click.echo(issue_code(build_runtime(Config.from_env()), attendee_id))
