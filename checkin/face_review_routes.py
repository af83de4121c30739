"""Staff decide on enrolments held because the face resembles another attendee.

    GET  /api/face-reviews[?status=pending|approved|rejected|all]   both people, masked
    GET  /api/face-reviews/<id>/photo/new|other                      the two enrolment crops
    POST /api/face-reviews/<id>/decision  {"approve": bool, "reason": "..."}   audited

Registered on the face routes' blueprint (checkin.face_routes).
"""

from __future__ import annotations

from typing import Any

import pydantic
from flask import Blueprint, Response, jsonify, request

from checkin.identification import masked_attendee
from core.errors import ValidationError
from recognition.face.api import face_service
from recognition.face.review import decide_review, list_reviews, review_photo, review_view
from web.api import documented, parse_json, runtime, unit_of_work
from web.auth import STAFF, current, requires

STATUSES = ("pending", "approved", "rejected", "all")


class DecisionBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    approve: bool
    reason: str = pydantic.Field(default="", max_length=300)


@requires(*STAFF)
@documented(None, "Enrolments held for review (both attendees masked).")
def reviews() -> Response:
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}", "invalid_status")
    with unit_of_work(read_only=True) as db:
        rows = list_reviews(db, None if status == "all" else status)
        items: list[dict[str, Any]] = [
            {
                **review_view(r),
                "attendee": masked_attendee(db, r.attendee_id),
                "other_attendee": masked_attendee(db, r.other_attendee_id),
            }
            for r in rows
        ]
    return jsonify({"reviews": items})


@requires(*STAFF)
@documented(None, "One enrolment crop of a review: new (held) or other (already enrolled).")
def photo(review_id: int, which: str) -> Response:
    if which not in ("new", "other"):
        raise ValidationError("photo must be new or other", "invalid_photo")
    with unit_of_work(read_only=True) as db:
        data = review_photo(face_service(runtime()), db, review_id, which)
    res = Response(data, mimetype="image/jpeg")
    res.headers["Cache-Control"] = "no-store"
    return res


@requires(*STAFF)
@documented(DecisionBody, "Approve (store the held template) or reject (delete it); audited.")
def decision(review_id: int) -> Response:
    body = parse_json(DecisionBody)
    with unit_of_work() as db:
        result = decide_review(
            face_service(runtime()), db, review_id, body.approve, current().actor, body.reason
        )
    return jsonify(result)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/api/face-reviews", view_func=reviews, methods=["GET"])
    bp.add_url_rule(
        "/api/face-reviews/<int:review_id>/photo/<which>", view_func=photo, methods=["GET"]
    )
    bp.add_url_rule(
        "/api/face-reviews/<int:review_id>/decision", view_func=decision, methods=["POST"]
    )
