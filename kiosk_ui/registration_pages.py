"""Console pages for registration: one attendee by form, or a CSV/XLSX batch with its report."""

from __future__ import annotations

from flask import Blueprint, render_template, session
from werkzeug.wrappers import Response

from checkin.importer import COLUMNS
from models.attendee import CATEGORIES, ID_TYPES
from web.auth import STAFF, staff_on_page, to_login

bp = Blueprint("registration_pages", __name__)


@bp.get("/console/register")
def register_page() -> str | Response:
    """Registration form and bulk import (staff and admins)."""
    principal = staff_on_page()
    if principal is None:
        return to_login()
    if principal.role not in STAFF:
        return Response("forbidden: staff or admin only", status=403)
    return render_template(
        "registration.html",
        csrf=session.get("csrf", ""),
        categories=CATEGORIES,
        id_types=ID_TYPES,
        columns=COLUMNS,
        user=principal.name,
    )
