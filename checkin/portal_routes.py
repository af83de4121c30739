"""HTTP API of the delegate phone (nested in checkin.routes): issue a link, open it, get the QR."""

from __future__ import annotations

from typing import Annotated

import pydantic
from flask import Blueprint, Response, jsonify, request, session

from checkin import portal
from core.errors import Unauthorized
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import STAFF, current, requires
from web.ratelimit import limit

bp = Blueprint("checkin_portal", __name__)
PHONE_KEY = "phone_attendee"


class PhoneLoginBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    code: Annotated[str, pydantic.Field(min_length=6, max_length=40)]


@bp.post("/api/attendees/<int:attendee_id>/portal-link")
@requires(*STAFF)
def issue_link(attendee_id: int) -> Response:
    """A one-time link (and the same code to type) for the attendee's phone page."""
    with unit_of_work() as db:
        code = portal.issue_portal_code(db, attendee_id, current().actor)
    return jsonify({"code": code, "url": f"{request.host_url.rstrip('/')}/p/{code}"})


@bp.post("/api/public/phone/login")
@limit("phone_login", per_minute=20)
@documented(PhoneLoginBody, "Open the phone page with a one-time code (spends the code).")
def phone_login() -> Response:
    body = parse_json(PhoneLoginBody)
    with unit_of_work() as db:
        attendee_id = portal.redeem_portal_code(db, body.code)
    session.clear()
    session[PHONE_KEY] = attendee_id
    session.permanent = True
    return jsonify({"ok": True})


@bp.get("/api/public/phone/status")
@limit("phone_status", per_minute=120)
def phone_status() -> Response:
    """The phone's current entrance code (text + QR image) and journey status."""
    attendee_id = session.get(PHONE_KEY)
    if not isinstance(attendee_id, int):
        raise Unauthorized("open the phone page with your link first", "phone_login_required")
    with unit_of_work(read_only=True) as db:
        return jsonify(portal.phone_status(runtime(), db, attendee_id))


@bp.post("/api/public/phone/logout")
def phone_logout() -> Response:
    """Forget the phone's session."""
    session.pop(PHONE_KEY, None)
    return jsonify({"ok": True})
