"""HTTP API of the delegate phone (nested in checkin.routes): issue or revoke a link, open it,
get the QR, log out."""

from __future__ import annotations

from typing import Annotated

import pydantic
from flask import Blueprint, Response, jsonify, request, session

from checkin import portal
from core.errors import Unauthorized, ValidationError
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import STAFF, current, requires
from web.ratelimit import limit

bp = Blueprint("checkin_portal", __name__)
# The phone's session cookie keys: whose phone, and their phone-session version at opening.
PHONE_KEY, PHONE_VERSION_KEY = "phone_attendee", "phone_version"


class PhoneLoginBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    code: Annotated[str, pydantic.Field(min_length=6, max_length=40)]


class RevokeLinkBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    reason: Annotated[str, pydantic.Field(max_length=500)] = ""


@bp.post("/api/attendees/<int:attendee_id>/portal-link")
@requires(*STAFF)
def issue_link(attendee_id: int) -> Response:
    """A one-time link (and the same code to type) for the attendee's phone page."""
    ttl = runtime().config.portal_code_ttl_hours
    with unit_of_work() as db:
        code = portal.issue_portal_code(db, attendee_id, current().actor, ttl)
    return jsonify({"code": code, "url": f"{request.host_url.rstrip('/')}/p/{code}"})


# Next to issuing, not in attendee_routes: the link's whole life is in this module.
@bp.post("/api/attendees/<int:attendee_id>/portal-link/revoke")
@requires(*STAFF)
@documented(RevokeLinkBody, "Withdraw the phone link: its unused code and open phone sessions.")
def revoke_link(attendee_id: int) -> Response:
    body = parse_json(RevokeLinkBody)
    with unit_of_work() as db:
        portal.revoke_portal_link(db, attendee_id, current().actor, body.reason)
    return jsonify({"ok": True})


@bp.post("/api/public/phone/login")
@limit("phone_login", per_minute=20)
@documented(PhoneLoginBody, "Open the phone page with a one-time code (spends the code).")
def phone_login() -> Response:
    body = parse_json(PhoneLoginBody)
    with unit_of_work() as db:
        phone = portal.redeem_portal_code(db, body.code)
    session.clear()
    session[PHONE_KEY] = phone.attendee_id
    session[PHONE_VERSION_KEY] = phone.version
    session.permanent = True
    return jsonify({"ok": True})


@bp.get("/api/public/phone/status")
@limit("phone_status", per_minute=120)
def phone_status() -> Response:
    """The phone's current entrance code and journey status (`?qr=1`: with the QR image)."""
    phone = _phone_session()
    if phone is None:
        raise Unauthorized("open the phone page with your link first", "phone_login_required")
    with_qr = request.args.get("qr", "0")
    if with_qr not in ("0", "1"):
        raise ValidationError("qr must be 0 or 1", "invalid_qr_option")
    with unit_of_work(read_only=True) as db:
        return jsonify(portal.phone_status(runtime(), db, phone, with_qr=with_qr == "1"))


@bp.post("/api/public/phone/logout")
def phone_logout() -> Response:
    """Forget the phone's session, here and on the server (a copied cookie stops too)."""
    phone = _phone_session()
    if phone is not None:
        with unit_of_work() as db:
            portal.end_phone_session(db, phone)
    session.pop(PHONE_KEY, None)
    session.pop(PHONE_VERSION_KEY, None)
    return jsonify({"ok": True})


def _phone_session() -> portal.PhoneSession | None:
    attendee_id, version = session.get(PHONE_KEY), session.get(PHONE_VERSION_KEY)
    if not isinstance(attendee_id, int) or not isinstance(version, int):
        return None
    return portal.PhoneSession(attendee_id, version)
