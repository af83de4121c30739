"""Staff console page: enrolments held because the face resembles another attendee.

The page shows both enrolment crops and both attendees (masked) and sends the decision to
`POST /api/face-reviews/<id>/decision` (checkin.face_review_routes), which audits it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, session
from werkzeug.wrappers import Response as WResponse

from web.auth import STAFF, staff_on_page, to_login

bp = Blueprint("kiosk_ui_face_review", __name__)


@bp.get("/console/face-reviews")
def face_review_page() -> str | WResponse:
    principal = staff_on_page()
    if principal is None:
        return to_login()
    if principal.role not in STAFF:
        return WResponse(
            render_template("console_forbidden.html", user=principal.name, role=principal.role),
            status=403,
        )
    return render_template(
        "console_face_review.html",
        csrf=session.get("csrf", ""),
        user=principal.name,
        role=principal.role,
        page="face_review",
    )
