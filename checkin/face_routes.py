"""Face HTTP handlers: enrol (`POST /api/attendees/<id>/faces`), delete (`DELETE` same) and
identify a still photo (`POST /api/recognition/identify`, devices whose liveness check is off),
plus identification by entrance code (`POST /api/recognition/identify-code`) for pages without
a camera.

Cameras use the one camera stream protocol of `checkin.events` instead.
"""

from __future__ import annotations

import threading
from typing import Literal

import pydantic
from flask import Blueprint, Response, jsonify, request
from flask.blueprints import BlueprintSetupState

from checkin import face_review_routes, face_update_routes, gatepass, identification
from core.errors import SummitError, ValidationError
from recognition.face.api import face_service
from recognition.workers import pool_of, refuse_if_full
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import STAFF, current, requires
from web.ratelimit import limit

bp = Blueprint("recognition_routes", __name__)
face_review_routes.register(bp)
face_update_routes.register(bp)


@bp.record_once
def _load_gallery_at_start(state: BlueprintSetupState) -> None:
    # A served app loads the models and decrypts the gallery right away (with a progress bar),
    # in the background, so the first kiosk request does not wait; tests build it lazily.
    rt = state.app.extensions["summit"]
    if not rt.config.testing:
        threading.Thread(target=face_service, args=(rt,), name="face-gallery", daemon=True).start()


IDENTIFY_DEVICES = ("kiosk", "gate", "hotel_desk", "airport_desk")
ACCEPTED_TYPES = ("image/", "application/octet-stream")


def _upload() -> bytes:
    """The bytes of the multipart field `image`, with clear codes for the wrong shapes."""
    return _uploads()[0]


def _uploads() -> list[bytes]:
    """Every multipart field `image` (enrolment may send several photos of one person)."""
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise SummitError(
            "send the photo as multipart/form-data field 'image'", "unsupported_media_type", 415
        )
    parts = request.files.getlist("image")
    if not parts:
        raise ValidationError("the multipart field 'image' is missing", "image_missing")
    out = []
    for part in parts:
        if part.mimetype and not part.mimetype.startswith(ACCEPTED_TYPES):
            raise SummitError(
                f"{part.mimetype} is not an image type", "unsupported_media_type", 415
            )
        out.append(part.read())
        part.close()  # large uploads are spooled to a temporary file
    return out


@bp.post("/api/attendees/<int:attendee_id>/faces")
@requires(*STAFF, "registration")
@limit("enrol_face", per_minute=60)
@documented(
    None,
    "Enrol a face (multipart 'image', 1-5 photos of one person, averaged); needs the "
    "attendee's consent. 201 enrolled; 202 when the face resembles another attendee: staff "
    "review it (GET /api/face-reviews).",
)
def enrol_face(attendee_id: int) -> tuple[Response, int]:
    data = _uploads()
    with unit_of_work() as db:
        result = face_service(runtime()).enrol(db, attendee_id, data, current().actor)
    return jsonify(result), 202 if result["status"] == "review_pending" else 201


@bp.delete("/api/attendees/<int:attendee_id>/faces")
@requires(*STAFF)
@documented(None, "Delete every stored face template of one attendee.")
def delete_faces(attendee_id: int) -> Response:
    with unit_of_work() as db:
        deleted = face_service(runtime()).delete_faces(db, attendee_id, current().actor)
    return jsonify({"attendee_id": attendee_id, "deleted": deleted})


@bp.post("/api/recognition/identify")
@requires(*IDENTIFY_DEVICES)
@limit("identify", per_minute=120)
@documented(
    None,
    "Identify the face in a photo (multipart 'image', optional field 'purpose': assistant or "
    "journey) at a device whose liveness check is off; masked attendee and a ticket on match.",
)
def identify() -> Response:
    refuse_if_full(pool_of(runtime()))  # a full pool refuses before the upload is read
    data = _upload()
    purpose = request.form.get("purpose", "assistant")
    if purpose not in ("assistant", "journey"):
        raise ValidationError("purpose must be assistant or journey", "invalid_purpose")
    principal, rt = current(), runtime()
    # A gate's device searches only the attendees its zone admits now (1:N kept small).
    candidates = gatepass.candidates_for_gate(rt, principal.gate_id) if principal.gate_id else None
    return jsonify(identification.identify_upload(rt, principal, purpose, data, candidates))


class IdentifyCodeBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    code: str = pydantic.Field(min_length=1, max_length=200)
    purpose: Literal["assistant", "journey"] = "assistant"


@bp.post("/api/recognition/identify-code")
@requires(*IDENTIFY_DEVICES)
@limit("identify_code", per_minute=120)
@documented(
    IdentifyCodeBody,
    "Identify a delegate by the entrance code on their phone (typed or scanned): masked "
    "attendee and a ticket for personal answers or their trips; the code's use is not recorded.",
)
def identify_code() -> Response:
    body = parse_json(IdentifyCodeBody)
    rt = runtime()
    policy = identification.load_policy(rt, current())
    identification.require_place(policy, body.purpose)
    # Nothing is granted here (no entry, key or seat), so the code stays usable at the gate.
    found = identification.identify_code(rt, policy, body.purpose, body.code)
    with unit_of_work(read_only=True) as db:
        return jsonify(identification.answer(db, found))
