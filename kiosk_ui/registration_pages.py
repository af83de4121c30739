"""Console pages for registration: one attendee by form, or a CSV/XLSX batch with its report."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from checkin.importer import COLUMNS
from core.errors import SummitError
from kiosk_ui.auth import STAFF, resolve_principal
from models.attendee import CATEGORIES, ID_TYPES

bp = Blueprint("registration_pages", __name__)


@bp.get("/console/register")
def register_page() -> str | Response:
    """Registration form and bulk import (staff and admins)."""
    try:
        principal = resolve_principal()
    except SummitError:
        principal = None
    if principal is None or principal.kind != "staff":
        return redirect(f"/login?next={request.path}")
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
