"""Template updates from live captures (recognition.face.update): consent, list, remove.

Staff (admin/staff, cookie + CSRF):
    GET    /api/attendees/<id>/face-updates                      consent and updated templates
    POST   /api/attendees/<id>/face-updates/consent {"consent": bool}   recorded, audited
    DELETE /api/attendees/<id>/face-updates[?template_id=N]       remove updates, audited
The attendee on their phone (the phone page's session):
    GET    /api/public/phone/face-updates
    POST   /api/public/phone/face-updates/consent {"consent": bool}
    DELETE /api/public/phone/face-updates

Withdrawing consent removes every updated template; enrolment templates are never touched.
Registered on the face routes' blueprint (checkin.face_routes).
"""

from __future__ import annotations

import pydantic
from flask import Blueprint, Response, jsonify, request, session
from sqlalchemy.orm import Session

from checkin.portal_routes import PHONE_KEY, PHONE_VERSION_KEY
from core.errors import Unauthorized, ValidationError
from models.attendee import Attendee
from recognition.face.update import list_updates, remove_updates, set_update_consent
from web.api import documented, parse_json, unit_of_work
from web.auth import STAFF, current, requires
from web.ratelimit import limit


class ConsentBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    consent: bool


@requires(*STAFF)
@documented(None, "An attendee's consent to face template updates and their updated templates.")
def staff_list(attendee_id: int) -> Response:
    with unit_of_work(read_only=True) as db:
        return jsonify(list_updates(db, attendee_id))


@requires(*STAFF)
@documented(ConsentBody, "Record consent to template updates (withdrawal removes them); audited.")
def staff_consent(attendee_id: int) -> Response:
    body = parse_json(ConsentBody)
    with unit_of_work() as db:
        removed = set_update_consent(db, attendee_id, body.consent, current().actor)
    return jsonify({"attendee_id": attendee_id, "consent": body.consent, "removed": removed})


@requires(*STAFF)
@documented(None, "Remove an attendee's updated templates (all, or ?template_id=N); audited.")
def staff_remove(attendee_id: int) -> Response:
    with unit_of_work() as db:
        removed = remove_updates(db, attendee_id, current().actor, _template_id())
    return jsonify({"attendee_id": attendee_id, "removed": removed})


@limit("phone_face_updates", per_minute=30)
def phone_list() -> Response:
    """The phone's own consent and updated templates (when and where, never the faces)."""
    with unit_of_work(read_only=True) as db:
        return jsonify(list_updates(db, _phone_attendee(db)))


@limit("phone_face_updates", per_minute=30)
@documented(ConsentBody, "The attendee grants or withdraws consent to template updates.")
def phone_consent() -> Response:
    body = parse_json(ConsentBody)
    with unit_of_work() as db:
        attendee_id = _phone_attendee(db)
        removed = set_update_consent(db, attendee_id, body.consent, f"attendee:{attendee_id}")
    return jsonify({"consent": body.consent, "removed": removed})


@limit("phone_face_updates", per_minute=30)
def phone_remove() -> Response:
    """The attendee removes their updated templates (consent stays as it is)."""
    with unit_of_work() as db:
        attendee_id = _phone_attendee(db)
        removed = remove_updates(db, attendee_id, f"attendee:{attendee_id}")
    return jsonify({"removed": removed})


def _template_id() -> int | None:
    raw = request.args.get("template_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError("template_id must be a number", "invalid_template_id")
    return int(raw)


def _phone_attendee(db: Session) -> int:
    """The attendee of this phone session (as checkin.portal checks it: same version, not
    revoked)."""
    attendee_id, version = session.get(PHONE_KEY), session.get(PHONE_VERSION_KEY)
    attendee = db.get(Attendee, attendee_id) if isinstance(attendee_id, int) else None
    if attendee is None or attendee.revoked or attendee.portal_session_version != version:
        raise Unauthorized("open the phone page with your link first", "phone_login_required")
    return int(attendee.id)


def register(bp: Blueprint) -> None:
    base = "/api/attendees/<int:attendee_id>/face-updates"
    bp.add_url_rule(base, view_func=staff_list, methods=["GET"])
    bp.add_url_rule(f"{base}/consent", view_func=staff_consent, methods=["POST"])
    bp.add_url_rule(base, view_func=staff_remove, methods=["DELETE"])
    phone = "/api/public/phone/face-updates"
    bp.add_url_rule(phone, view_func=phone_list, methods=["GET"])
    bp.add_url_rule(f"{phone}/consent", view_func=phone_consent, methods=["POST"])
    bp.add_url_rule(phone, view_func=phone_remove, methods=["DELETE"])
