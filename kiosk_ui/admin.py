"""Admin API: staff users, device and driver tokens (shown once), revocation, audit log."""

from __future__ import annotations

import pydantic
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from core import accounts
from core.clock import iso
from core.errors import ValidationError
from models.auth import AuditEntry, Device
from web.api import documented, parse_json, unit_of_work
from web.auth import ADMIN, current, requires

bp = Blueprint("admin", __name__)


class UserIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    username: str = pydantic.Field(max_length=64)
    password: str = pydantic.Field(max_length=200)
    role: str = pydantic.Field(max_length=20)


class DeviceIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str = pydantic.Field(max_length=80)
    kind: str = pydantic.Field(max_length=20)
    gate_id: pydantic.StrictInt | None = None
    hotel_id: pydantic.StrictInt | None = None
    driver_id: pydantic.StrictInt | None = None


class RevokeIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    reason: str = pydantic.Field(default="", max_length=500)


@bp.post("/api/users")
@requires(*ADMIN)
@documented(UserIn, "Create a staff user (admin, staff or security).")
def create_user() -> tuple[Response, int]:
    body = parse_json(UserIn)
    with unit_of_work() as db:
        user = accounts.create_user(db, body.username, body.password, body.role)
        out = {"id": user.id, "username": user.username, "role": user.role}
    return jsonify(out), 201


@bp.post("/api/devices")
@requires(*ADMIN)
@documented(DeviceIn, "Register a device or driver phone; the token is shown only in this answer.")
def create_device() -> tuple[Response, int]:
    body = parse_json(DeviceIn)
    with unit_of_work() as db:
        device, token = accounts.create_device(
            db,
            body.name,
            body.kind,
            current().actor,
            gate_id=body.gate_id,
            hotel_id=body.hotel_id,
            driver_id=body.driver_id,
        )
        out = {"id": device.id, "name": device.name, "kind": device.kind, "token": token}
    return jsonify(out), 201


@bp.get("/api/devices")
@requires(*ADMIN)
def list_devices() -> Response:
    """Registered devices (never their tokens)."""
    with unit_of_work(read_only=True) as db:
        rows = db.scalars(select(Device).order_by(Device.id)).all()
        out = [
            {
                "id": d.id,
                "name": d.name,
                "kind": d.kind,
                "revoked_at": iso(d.revoked_at),
                "gate_id": d.gate_id,
                "hotel_id": d.hotel_id,
                "driver_id": d.driver_id,
            }
            for d in rows
        ]
    return jsonify({"devices": out})


@bp.post("/api/devices/<int:device_id>/revoke")
@requires(*ADMIN)
@documented(RevokeIn, "Revoke a device token at once.")
def revoke_device(device_id: int) -> Response:
    body = parse_json(RevokeIn)
    with unit_of_work() as db:
        device = accounts.revoke_device(db, device_id, current().actor, body.reason)
        out = {"id": device.id, "revoked_at": iso(device.revoked_at)}
    return jsonify(out)


@bp.get("/api/audit")
@requires(*ADMIN)
def audit_log() -> Response:
    """The newest audit entries (?before=<id> pages back)."""
    before = request.args.get("before", "")
    if before and not before.isdigit():
        raise ValidationError("before must be an entry id", "invalid_cursor")
    with unit_of_work(read_only=True) as db:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
        if before:
            stmt = stmt.where(AuditEntry.id < int(before))
        out = [
            {
                "id": e.id,
                "at": iso(e.created_at),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "reason": e.reason,
            }
            for e in db.scalars(stmt)
        ]
    return jsonify({"entries": out})
