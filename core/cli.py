"""Core commands: serve, init-db, seed-demo, users, devices, import."""

from __future__ import annotations

import json
import sys

import click

from core.clock import iso
from core.config import Config
from core.errors import SummitError
from core.migrate import upgrade_database
from core.runtime import Runtime, build_runtime
from models.auth import DEVICE_KINDS, LIVENESS_BY_DEFAULT
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


def _on_off(required: bool) -> str:
    return "on" if required else "off (staff-watched: still photos allowed)"


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

    @cli.command("set-password")
    @click.argument("username")
    @click.password_option()
    def set_password(username: str, password: str) -> None:
        """Set a staff user's password; every session they have open ends."""
        from core.accounts import change_password

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                change_password(db, username, password, "cli")
            click.echo(f"password of {username} set; their open sessions were ended")
        except SummitError as exc:
            fail(exc)

    @cli.command("create-device")
    @click.argument("name")
    @click.option("--kind", type=click.Choice(DEVICE_KINDS), required=True)
    @click.option(
        "--liveness",
        type=click.Choice(["on", "off"]),
        help="still photos refused (on) or allowed at a staff-watched device (off); "
        f"default on for {', '.join(LIVENESS_BY_DEFAULT)}",
    )
    @click.option("--gate", "gate_id", type=int, help="gate id (gates and kiosks)")
    @click.option("--hotel", "hotel_id", type=int, help="hotel id (hotel desks)")
    @click.option("--driver", "driver_id", type=int, help="driver id (driver phones)")
    def create_device(
        name: str,
        kind: str,
        liveness: str | None,
        gate_id: int | None,
        hotel_id: int | None,
        driver_id: int | None,
    ) -> None:
        """Register a device and print its place, liveness policy and token (shown once)."""
        from core.accounts import create_device as create
        from core.accounts import device_place

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                device, token = create(
                    db,
                    name,
                    kind,
                    "cli",
                    gate_id=gate_id,
                    hotel_id=hotel_id,
                    driver_id=driver_id,
                    liveness=None if liveness is None else liveness == "on",
                )
                click.echo(
                    f"device {device.id} ({kind}) place: {device_place(device)}, "
                    f"liveness: {_on_off(device.liveness_required)}"
                )
                click.echo(f"token: {token}")
        except SummitError as exc:
            fail(exc)

    @cli.command("bind-device")
    @click.argument("device_id", type=int)
    @click.option("--gate", "gate_id", type=int, help="bind to this gate (gates and kiosks)")
    @click.option("--hotel", "hotel_id", type=int, help="bind to this hotel (hotel desks)")
    @click.option("--none", "unbind", is_flag=True, help="bind to no place (it then admits no one)")
    def bind_device(
        device_id: int, gate_id: int | None, hotel_id: int | None, unbind: bool
    ) -> None:
        """Bind a device to the gate or hotel where it stands; it acts only there (audited)."""
        from core.accounts import bind_device as bind
        from core.accounts import device_place

        if [gate_id is not None, hotel_id is not None, unbind].count(True) != 1:
            raise click.UsageError("give exactly one of --gate ID, --hotel ID or --none")
        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                device = bind(db, device_id, "cli", gate_id=gate_id, hotel_id=hotel_id)
                click.echo(f"device {device.id} place: {device_place(device)}")
        except SummitError as exc:
            fail(exc)

    @cli.command("set-device-liveness")
    @click.argument("device_id", type=int)
    @click.argument("state", type=click.Choice(["on", "off"]))
    @click.option("--reason", default="", help="why (required for off: who watches the device)")
    def set_device_liveness(device_id: int, state: str, reason: str) -> None:
        """Turn a device's liveness check on, or off for a staff-watched device (audited)."""
        from core.accounts import set_device_liveness as set_liveness

        rt = open_runtime()
        try:
            with transaction(rt.sessions) as db:
                device = set_liveness(db, device_id, state == "on", "cli", reason)
                click.echo(f"device {device.id} liveness: {_on_off(device.liveness_required)}")
        except SummitError as exc:
            fail(exc)

    @cli.command("list-devices")
    def list_devices() -> None:
        """Every device with its place, liveness policy and whether it was revoked."""
        from core.accounts import list_devices as rows

        rt = open_runtime()
        with transaction(rt.sessions, read_only=True) as db:
            devices = rows(db)
        click.echo(f"{'id':>4}  {'name':<24} {'kind':<12} {'place':<20} {'liveness':<9} revoked")
        for d in devices:
            place = f"{d.place} ({d.place_code})" if d.place_code else d.place
            revoked = iso(d.revoked_at) if d.revoked_at else "-"
            click.echo(
                f"{d.id:>4}  {d.name:<24} {d.kind:<12} {place:<20} "
                f"{_on_off(d.liveness_required):<9} {revoked}"
            )

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
