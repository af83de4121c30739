"""Admin API: staff users, device and driver tokens (shown once), revocation, a device's place
and liveness policy, audit log."""

from __future__ import annotations

import pydantic
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from core import accounts
from core.clock import iso
from core.errors import ValidationError
from models.auth import AuditEntry, Device
from web.api import MAX_INT, documented, parse_json, unit_of_work
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
    gate_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)
    hotel_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)
    driver_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)
    liveness: pydantic.StrictBool | None = None  # None: the default for the kind


class BindingIn(pydantic.BaseModel):
    """Where a device stands: a gate, a hotel, or nowhere (both null)."""

    model_config = pydantic.ConfigDict(extra="forbid")
    gate_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)
    hotel_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)


class LivenessIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    required: pydantic.StrictBool
    reason: str = pydantic.Field(default="", max_length=500)


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
            liveness=body.liveness,
        )
        out = {"id": device.id, "name": device.name, "kind": device.kind, "token": token}
        out |= _policy(device)
    return jsonify(out), 201


@bp.get("/api/devices")
@requires(*ADMIN)
def list_devices() -> Response:
    """Registered devices with their place and liveness policy (never their tokens)."""
    with unit_of_work(read_only=True) as db:
        rows = accounts.list_devices(db)
        choices = accounts.binding_choices(db)
    out = [
        {
            "id": d.id,
            "name": d.name,
            "kind": d.kind,
            "revoked_at": iso(d.revoked_at),
            "place": d.place,
            "place_code": d.place_code,
            "liveness_required": d.liveness_required,
            "gate_id": d.gate_id,
            "hotel_id": d.hotel_id,
            "driver_id": d.driver_id,
        }
        for d in rows
    ]
    return jsonify({"devices": out, "places": choices})


@bp.post("/api/devices/<int:device_id>/binding")
@requires(*ADMIN)
@documented(BindingIn, "Bind a kiosk or gate to its gate, a hotel desk to its hotel, or unbind.")
def bind_device(device_id: int) -> Response:
    body = parse_json(BindingIn)
    with unit_of_work() as db:
        device = accounts.bind_device(
            db, device_id, current().actor, gate_id=body.gate_id, hotel_id=body.hotel_id
        )
        out = {"id": device.id} | _policy(device)
    return jsonify(out)


@bp.post("/api/devices/<int:device_id>/liveness")
@requires(*ADMIN)
@documented(LivenessIn, "Require liveness at a device, or allow still photos (staff-watched).")
def set_device_liveness(device_id: int) -> Response:
    body = parse_json(LivenessIn)
    with unit_of_work() as db:
        device = accounts.set_device_liveness(
            db, device_id, body.required, current().actor, body.reason
        )
        out = {"id": device.id} | _policy(device)
    return jsonify(out)


@bp.post("/api/devices/<int:device_id>/revoke")
@requires(*ADMIN)
@documented(RevokeIn, "Revoke a device token at once.")
def revoke_device(device_id: int) -> Response:
    body = parse_json(RevokeIn)
    with unit_of_work() as db:
        device = accounts.revoke_device(db, device_id, current().actor, body.reason)
        out = {"id": device.id, "revoked_at": iso(device.revoked_at)}
    return jsonify(out)


def _policy(device: Device) -> dict[str, object]:
    return {
        "place": accounts.device_place(device),
        "liveness_required": bool(device.liveness_required),
        "gate_id": device.gate_id,
        "hotel_id": device.hotel_id,
    }


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
