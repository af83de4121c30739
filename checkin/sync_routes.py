"""HTTP API for offline gates: register the device key, fetch the bundle, replay decisions."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Annotated, Literal

import pydantic
from flask import Blueprint, Response, jsonify

from checkin import sync
from checkin.errors import DENIED_REASONS, GRANTED_REASONS, CheckInError
from core.clock import to_utc, utcnow
from core.crypto import DevicePublicKeys
from core.errors import Forbidden
from web.api import MAX_INT, documented, error_response, parse_json, runtime, unit_of_work
from web.auth import current, requires
from web.types import SummitTime

bp = Blueprint("checkin_sync", __name__)
REASONS = Literal[GRANTED_REASONS + DENIED_REASONS]  # type: ignore[valid-type]  # built from the catalogue
MAX_AGE = timedelta(days=2)
PUBLIC_KEY = r"^[A-Za-z0-9+/]{43}=$"  # 32 bytes, base64
SIGNATURE = r"^[A-Za-z0-9+/]{86}==$"  # 64 bytes, base64


class DeviceKeyBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    box_key: Annotated[str, pydantic.Field(pattern=PUBLIC_KEY)]  # X25519: bundles sealed to it
    sign_key: Annotated[str, pydantic.Field(pattern=PUBLIC_KEY)]  # Ed25519: signs decisions


class QueuedItem(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    nonce: Annotated[str, pydantic.Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
    method: Literal["face", "code"]
    attendee_id: Annotated[pydantic.StrictInt, pydantic.Field(ge=1, le=MAX_INT)] | None = None
    granted: bool
    reason: REASONS  # type: ignore[valid-type]
    at: SummitTime
    code_nonce: Annotated[str, pydantic.Field(pattern=r"^[0-9a-f]{16}$")] | None = None
    # Optional in the shape so that an unsigned item is refused and alerted, not a 400.
    seq: Annotated[int, pydantic.Field(strict=True, ge=1, le=2**62)] | None = None
    sig: Annotated[str, pydantic.Field(pattern=SIGNATURE)] | None = None


class ReplayBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    events: Annotated[list[QueuedItem], pydantic.Field(min_length=1, max_length=500)]


def _queued(item: QueuedItem) -> sync.QueuedPass:
    at = to_utc(item.at) if item.at.tzinfo else item.at
    if not utcnow() - MAX_AGE <= at <= utcnow() + timedelta(minutes=5):
        raise CheckInError("a queued event's time is not within the last two days", "invalid_time")
    if item.granted != (item.reason in GRANTED_REASONS):
        raise CheckInError("granted does not agree with the reason", "inconsistent_event")
    if item.granted and item.attendee_id is None:
        raise CheckInError("a granted pass names an attendee", "inconsistent_event")
    signature = None if item.sig is None else base64.b64decode(item.sig)
    return sync.QueuedPass(
        item.nonce,
        item.method,
        item.attendee_id,
        item.granted,
        item.reason,
        at,
        item.code_nonce,
        item.seq,
        signature,
    )


def _own_gate(gate_id: int) -> None:
    if current().gate_id != gate_id:
        raise Forbidden("this device belongs to another gate", "wrong_gate")


@bp.post("/api/gates/<int:gate_id>/device-key")
@requires("gate")
@documented(DeviceKeyBody, "Register the public keys a gate device made for itself (once).")
def device_key(gate_id: int) -> Response | tuple[Response, int]:
    body = parse_json(DeviceKeyBody)
    _own_gate(gate_id)
    keys = DevicePublicKeys.from_b64(body.box_key, body.sign_key)
    with unit_of_work() as db:
        registered = sync.register_device_key(db, gate_id, current().id, keys)
    if not registered:  # after the commit: the refusal's audit entry and alert are kept
        message = "this device already has a key; an admin issues a new device to replace it"
        return error_response("device_key_set", message, 409)
    return jsonify({"device_id": current().id, "registered": True}), 201


@bp.get("/api/gates/<int:gate_id>/bundle")
@requires("gate")
def bundle(gate_id: int) -> Response:
    """Public key, rules, masked attendees, hashed lists, gallery sealed to the device's key."""
    _own_gate(gate_id)
    with unit_of_work() as db:
        return jsonify(sync.gate_bundle(runtime(), db, gate_id, current().id))


@bp.post("/api/gates/<int:gate_id>/replay")
@requires("gate")
@documented(ReplayBody, "Replay signed decisions a gate queued offline (idempotent by nonce).")
def replay(gate_id: int) -> Response:
    body = parse_json(ReplayBody)
    _own_gate(gate_id)
    items = [_queued(i) for i in body.events]
    with unit_of_work() as db:
        results = sync.replay_offline(db, gate_id, items, current().actor, current().id)
    return jsonify({"results": results})
