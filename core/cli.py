"""Core commands: serve, init-db, seed-demo, users, devices, import."""

from __future__ import annotations

import json
import sys

import click

from core.config import Config
from core.errors import SummitError
from core.migrate import upgrade_database
from core.runtime import Runtime, build_runtime
from models.db import transaction


def open_runtime() -> Runtime:
    """The runtime for a command, with the schema brought up to date first."""
    rt = build_runtime(Config.from_env())
    upgrade_database(rt)
    return rt


def fail(exc: SummitError) -> None:
    """Print an error as the API would and exit 2."""
    click.echo(
        json.dumps({"error": exc.code, "message": exc.message}, ensure_ascii=False), err=True
    )
    sys.exit(2)


def register(cli: click.Group) -> None:
    @cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema (Alembic)."""
        rt = open_runtime()
        click.echo(f"database ready: {rt.engine.url.render_as_string(hide_password=True)}")

    @cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["admin", "staff", "security"]), required=True)
    @click.password_option()
    def create_user(username: str, role: str, password: str) -> None:
        """Create a staff user who logs in to the console."""
        from core.accounts import create_user as create

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                user = create(db, username, password, role)
                click.echo(f"user {user.username} ({user.role}) created")
        except SummitError as exc:
            fail(exc)

    @cli.command("create-device")
    @click.argument("name")
    @click.option(
        "--kind",
        type=click.Choice(
            ["kiosk", "gate", "hotel_desk", "airport_desk", "registration", "driver"]
        ),
        required=True,
    )
    @click.option("--gate", "gate_id", type=int, help="gate id (for gates)")
    @click.option("--hotel", "hotel_id", type=int, help="hotel id (for hotel desks)")
    @click.option("--driver", "driver_id", type=int, help="driver id (for driver phones)")
    def create_device(
        name: str, kind: str, gate_id: int | None, hotel_id: int | None, driver_id: int | None
    ) -> None:
        """Register a device and print its bearer token (shown once)."""
        from core.accounts import create_device as create

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                device, token = create(
                    db, name, kind, "cli", gate_id=gate_id, hotel_id=hotel_id, driver_id=driver_id
                )
                click.echo(f"device {device.id} ({kind}) token: {token}")
        except SummitError as exc:
            fail(exc)

    @cli.command("revoke-device")
    @click.argument("device_id", type=int)
    @click.option("--reason", default="")
    def revoke_device(device_id: int, reason: str) -> None:
        """Revoke a device token."""
        from core.accounts import revoke_device as revoke

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                revoke(db, device_id, "cli", reason)
        except SummitError as exc:
            fail(exc)
        click.echo(f"device {device_id} revoked")
