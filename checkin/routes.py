"""HTTP API of venue check-in: gate passes, overrides, undo, zones and gates, the watch list.

Each handler parses and validates, calls one service, and maps the result. Offline-gate sync
and the delegate phone live in nested blueprints (checkin.sync_routes, checkin.portal_routes).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

import pydantic
from flask import Blueprint, Response, jsonify

from checkin import gatepass, supervision, venue, watchlist
from checkin.errors import CheckInError
from checkin.portal_routes import bp as portal_bp
from checkin.sync_routes import bp as sync_bp
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import ANY_STAFF, SECURITY, current, requires
from web.ratelimit import limit
from web.types import Id

bp = Blueprint("checkin_routes", __name__)
bp.register_blueprint(sync_bp)
bp.register_blueprint(portal_bp)

Nonce = Annotated[str, pydantic.Field(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
Reason = Annotated[str, pydantic.Field(min_length=5, max_length=500)]
MAX_IMAGE_B64 = 6 * 1024 * 1024


class PassBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    method: Literal["face", "code"]
    nonce: Nonce
    image: Annotated[str, pydantic.Field(min_length=4, max_length=MAX_IMAGE_B64)] | None = None
    code: Annotated[str, pydantic.Field(min_length=1, max_length=400)] | None = None


class OverrideBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    attendee_id: Id
    nonce: Nonce
    reason: Reason


class ReasonBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    reason: Reason


class WatchBody(ReasonBody):
    attendee_id: Id


def decode_image_b64(text: str) -> bytes:
    """A base64 (or data: URL) image from a JSON body."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckInError("image must be base64", "invalid_image") from exc


@bp.post("/api/gates/<int:gate_id>/pass")
@requires("gate", "kiosk")
@limit("gate_pass", per_minute=120)
@documented(
    PassBody,
    "Decide a pass at a gate by face photo or entrance code (idempotent by nonce). Only a "
    "device bound to this gate may ask (403 device_not_bound / wrong_gate); a still photo at "
    "a device that checks liveness is refused as liveness_required.",
)
def pass_gate(gate_id: int) -> Response:
    body = parse_json(PassBody)
    if body.method == "code" and not body.code:
        raise CheckInError("method code needs a code", "code_required")
    if body.method == "face" and not body.image:
        raise CheckInError("method face needs an image", "image_required")
    image = decode_image_b64(body.image) if body.image else None
    rt = runtime()
    policy = gatepass.gate_policy(rt, current(), gate_id)  # 403 before anything is stored
    if body.method == "code" and body.code:
        decision = gatepass.pass_by_code(rt, policy, gate_id, body.nonce, body.code, image)
    elif image is not None:
        decision = gatepass.pass_by_face(rt, policy, gate_id, body.nonce, image)
    return jsonify(decision.to_dict())


@bp.post("/api/gates/<int:gate_id>/override")
@requires(*SECURITY)
@documented(OverrideBody, "Supervisor lets an attendee through a gate; the reason is audited.")
def override(gate_id: int) -> Response:
    body = parse_json(OverrideBody)
    with unit_of_work() as db:
        decision = supervision.override_pass(
            db, gate_id, body.attendee_id, body.nonce, body.reason, current().actor
        )
    return jsonify(decision.to_dict())


@bp.post("/api/access-events/<int:event_id>/undo")
@requires(*ANY_STAFF)
@documented(ReasonBody, "Undo a granted pass within 10 minutes (presence and check-in revert).")
def undo(event_id: int) -> Response:
    body = parse_json(ReasonBody)
    with unit_of_work() as db:
        decision = supervision.undo_pass(db, event_id, body.reason, current().actor)
    return jsonify(decision.to_dict())


@bp.get("/api/zones")
@requires(*ANY_STAFF, "gate", "kiosk")
def zones() -> Response:
    """Zones with their rules, gates and how many people are inside now."""
    with unit_of_work(read_only=True) as db:
        return jsonify({"zones": venue.zone_overview(db)})


@bp.get("/api/gates/<int:gate_id>")
@requires(*ANY_STAFF, "gate", "kiosk")
def gate_info(gate_id: int) -> Response:
    """One gate with its zone (what the gate page shows)."""
    with unit_of_work(read_only=True) as db:
        return jsonify(venue.gate_view(db, gate_id))


@bp.get("/api/watchlist")
@requires(*SECURITY)
def list_watch() -> Response:
    """Active watch-list entries (masked)."""
    with unit_of_work(read_only=True) as db:
        return jsonify({"entries": watchlist.list_watchlist(db)})


@bp.post("/api/watchlist")
@requires(*SECURITY)
@documented(WatchBody, "Put an attendee on the watch list with a reason (audited).")
def add_watch() -> tuple[Response, int]:
    body = parse_json(WatchBody)
    with unit_of_work() as db:
        entry = watchlist.add_to_watchlist(db, body.attendee_id, body.reason, current().actor)
    return jsonify(entry), 201


@bp.post("/api/watchlist/<int:attendee_id>/remove")
@requires(*SECURITY)
@documented(ReasonBody, "Take an attendee off the watch list with a reason (audited).")
def remove_watch(attendee_id: int) -> Response:
    body = parse_json(ReasonBody)
    with unit_of_work() as db:
        watchlist.remove_from_watchlist(db, attendee_id, body.reason, current().actor)
    return jsonify({"ok": True})
