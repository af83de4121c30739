"""HTTP API for offline gates: fetch the bundle, replay queued decisions (nested in routes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import pydantic
from flask import Blueprint, Response, jsonify

from checkin import sync
from checkin.errors import DENIED_REASONS, GRANTED_REASONS, CheckInError
from core.clock import to_utc, utcnow
from core.errors import Forbidden
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import current, requires
from web.types import SummitTime

bp = Blueprint("checkin_sync", __name__)
REASONS = Literal[GRANTED_REASONS + DENIED_REASONS]  # type: ignore[valid-type]  # built from the catalogue
MAX_AGE = timedelta(days=2)


class QueuedItem(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    nonce: Annotated[str, pydantic.Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
    method: Literal["face", "code"]
    attendee_id: Annotated[int, pydantic.Field(ge=1, le=2**31)] | None = None
    granted: bool
    reason: REASONS  # type: ignore[valid-type]
    at: SummitTime
    code_nonce: Annotated[str, pydantic.Field(pattern=r"^[0-9a-f]{16}$")] | None = None


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
    return sync.QueuedPass(
        item.nonce, item.method, item.attendee_id, item.granted, item.reason, at, item.code_nonce
    )


def _own_gate(gate_id: int) -> None:
    if current().gate_id != gate_id:
        raise Forbidden("this device belongs to another gate", "wrong_gate")


@bp.get("/api/gates/<int:gate_id>/bundle")
@requires("gate")
def bundle(gate_id: int) -> Response:
    """Public key, rules, allowed attendees (masked), revocations, watch list, sealed gallery."""
    _own_gate(gate_id)
    with unit_of_work() as db:
        return jsonify(sync.gate_bundle(runtime(), db, gate_id, current().id))


@bp.post("/api/gates/<int:gate_id>/replay")
@requires("gate")
@documented(ReplayBody, "Replay decisions a gate queued while offline (idempotent by nonce).")
def replay(gate_id: int) -> Response:
    body = parse_json(ReplayBody)
    _own_gate(gate_id)
    items = [_queued(i) for i in body.events]
    with unit_of_work() as db:
        results = sync.replay_offline(db, gate_id, items, current().actor, current().id)
    return jsonify({"results": results})
