"""HTTP handlers for registration: create, update, read (masked), unmask, search, import."""

from __future__ import annotations

from typing import Any

import pydantic
from flask import Blueprint, Response, jsonify, request

from checkin import importer, registration
from core.errors import ValidationError
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import ADMIN, ANY_STAFF, STAFF, current, requires
from web.ratelimit import limit

bp = Blueprint("attendees", __name__)


class AttendeeIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = pydantic.Field(max_length=200)
    category: str = pydantic.Field(max_length=20)
    id_type: str = pydantic.Field(max_length=20)
    id_number: str = pydantic.Field(max_length=40)
    organisation: str = pydantic.Field(default="", max_length=400)
    language: str = pydantic.Field(default="zh", max_length=5)
    nationality: str = pydantic.Field(default="CN", max_length=5)
    phone: str | None = pydantic.Field(default=None, max_length=30)
    email: str | None = pydantic.Field(default=None, max_length=300)
    consent_face: pydantic.StrictBool = False
    ref: str | None = pydantic.Field(default=None, max_length=40)


class AttendeePatch(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = pydantic.Field(default=None, max_length=200)
    category: str | None = pydantic.Field(default=None, max_length=20)
    organisation: str | None = pydantic.Field(default=None, max_length=400)
    language: str | None = pydantic.Field(default=None, max_length=5)
    nationality: str | None = pydantic.Field(default=None, max_length=5)
    phone: str | None = pydantic.Field(default=None, max_length=30)
    email: str | None = pydantic.Field(default=None, max_length=300)
    consent_face: pydantic.StrictBool | None = None


class UnmaskIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    reason: str = pydantic.Field(max_length=500)


@bp.post("/api/attendees")
@requires(*STAFF, "registration")
@documented(AttendeeIn, "Register an attendee (409 duplicate_id for a registered ID).")
def create_attendee() -> tuple[Response, int]:
    body = parse_json(AttendeeIn)
    data = registration.AttendeeData(**body.model_dump())
    with unit_of_work() as db:
        attendee = registration.register_attendee(db, runtime().pii, data, current().actor)
        view = registration.masked_view(attendee)
    return jsonify(view), 201


@bp.patch("/api/attendees/<int:attendee_id>")
@requires(*STAFF)
@documented(AttendeePatch, "Change profile and contact fields, or face consent.")
def update_attendee(attendee_id: int) -> Response:
    body = parse_json(AttendeePatch)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationError("nothing to change", "empty_update")
    with unit_of_work() as db:
        attendee = registration.update_attendee(db, attendee_id, changes, current().actor)
        view = registration.masked_view(attendee)
    return jsonify(view)


@bp.get("/api/attendees/<int:attendee_id>")
@requires(*ANY_STAFF)
def get_attendee(attendee_id: int) -> Response:
    """One attendee, masked, with the journey timeline."""
    with unit_of_work(read_only=True) as db:
        return jsonify(registration.attendee_detail(db, attendee_id))


@bp.post("/api/attendees/<int:attendee_id>/unmask")
@requires(*ADMIN)
@documented(UnmaskIn, "Full personal data (admin only; the reason is audited).")
def unmask_attendee(attendee_id: int) -> Response:
    body = parse_json(UnmaskIn)
    with unit_of_work() as db:
        view = registration.unmasked_view(
            db, runtime().pii, attendee_id, current().actor, body.reason
        )
    return jsonify(view)


@bp.get("/api/attendees")
@requires(*ANY_STAFF)
def search_attendees() -> Response:
    """Search by name, pinyin, organisation, registration number or ID tail (?q=)."""
    query = request.args.get("q", "")
    limit_raw = request.args.get("limit", "50")
    if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 500:
        raise ValidationError("limit: a whole number from 1 to 500", "invalid_limit")
    with unit_of_work(read_only=True) as db:
        results = registration.search_attendees(db, query, int(limit_raw))
    return jsonify({"results": results})


@bp.post("/api/attendees/import")
@requires(*STAFF)
@limit("import_attendees", per_minute=10)
def import_attendees() -> tuple[Response, int]:
    """Import a CSV or XLSX file (multipart field `file`): all rows land or none (422 + report)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("send the file as multipart field 'file'", "file_required")
    rows = importer.read_rows(upload.filename, upload.read())
    with unit_of_work() as db:
        report = importer.import_attendees(db, runtime().pii, rows, current().actor)
    status = 201 if report.ok else 422
    body = report.to_dict()
    if not report.ok:
        body.update(
            error="import_rejected",
            message=f"{len(report.errors)} rows have errors; nothing was imported",
        )
    return jsonify(body), status


@bp.get("/api/attendees/<int:attendee_id>/journey")
@requires(*ANY_STAFF)
def journey(attendee_id: int) -> Response:
    """The attendee's journey timeline."""
    with unit_of_work(read_only=True) as db:
        detail = registration.attendee_detail(db, attendee_id)
    return jsonify({"attendee_id": attendee_id, "journey": detail["journey"]})


class AccessReasonIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    reason: str = pydantic.Field(min_length=5, max_length=500)


@bp.post("/api/attendees/<int:attendee_id>/revoke")
@requires(*ADMIN)
@documented(AccessReasonIn, "Withdraw an attendee's access everywhere (admin; audited).")
def revoke_attendee(attendee_id: int) -> Response:
    body = parse_json(AccessReasonIn)
    with unit_of_work() as db:
        attendee = registration.revoke_attendee(db, attendee_id, body.reason, current().actor)
        return jsonify(registration.masked_view(attendee))


@bp.post("/api/attendees/<int:attendee_id>/restore")
@requires(*ADMIN)
@documented(AccessReasonIn, "Give a revoked attendee their access back (admin; audited).")
def restore_attendee(attendee_id: int) -> Response:
    body = parse_json(AccessReasonIn)
    with unit_of_work() as db:
        attendee = registration.restore_attendee(db, attendee_id, body.reason, current().actor)
        return jsonify(registration.masked_view(attendee))
