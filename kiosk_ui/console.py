"""The staff console: login page, live console pages, and the JSON read APIs behind them."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session
from werkzeug.wrappers import Response as WResponse

from core.errors import ValidationError
from kiosk_ui import console_lists, console_service
from kiosk_ui.attendee_status import attendee_status as status_of
from transport.reassign import reassign_no_shows
from web.api import unit_of_work
from web.auth import (
    ADMIN,
    ANY_STAFF,
    SECURITY,
    STAFF,
    current,
    requires,
    staff_on_page,
    to_login,
)
from web.live import rooms_for

bp = Blueprint("kiosk_ui_console", __name__)

PAGE_ROLES = {
    "console": ANY_STAFF,
    "security": SECURITY,
    "audit": ADMIN,
    "devices": ADMIN,
    "attendee": ANY_STAFF,
}


def _safe_next(target: str | None) -> str:
    """Only same-origin paths: `next=//evil.example` must not send a user elsewhere.

    Browsers drop tabs and newlines from a URL and read `\\` as `/`, so `/<TAB>/evil.example`
    is `//evil.example` to them; such characters are refused, also in percent-encoded form.
    """
    if target and len(target) <= 2000 and all(_plain_path(form) for form in _decodings(target)):
        return target
    return "/console"


def _decodings(target: str) -> list[str]:
    """The target and each further percent-decoding of it, until nothing changes.

    A target still changing after five decodings is nobody's real page: it ends with "",
    which no check passes.
    """
    forms = [target]
    while (decoded := unquote(forms[-1])) != forms[-1]:
        forms.append(decoded if len(forms) < 5 else "")
    return forms


def _plain_path(path: str) -> bool:
    """A single leading `/`, no backslash, no whitespace or control characters."""
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in path)
    )


def _page(page: str, template: str, **context: object) -> str | WResponse:
    """Render a console page for a logged-in staff user whose role may see it."""
    principal = staff_on_page()
    if principal is None:
        return to_login()
    if principal.role not in PAGE_ROLES[page]:
        return WResponse(
            render_template("console_forbidden.html", user=principal.name, role=principal.role),
            status=403,
        )
    return render_template(
        template,
        csrf=session.get("csrf", ""),
        user=principal.name,
        role=principal.role,
        page=page,
        **context,
    )


@bp.get("/login")
def login_page() -> str | WResponse:
    """The staff login form (already logged-in users go straight on)."""
    target = _safe_next(request.args.get("next"))
    if staff_on_page() is not None:
        return redirect(target)
    return render_template("login.html", next=target)


@bp.get("/console")
def console_page() -> str | WResponse:
    """The one self-updating screen: arrivals, venue, alerts, search, live feed."""
    return _page("console", "console.html")


@bp.get("/console/security")
def security_page() -> str | WResponse:
    """Denials, watch-list hits and liveness failures, for security staff and admins."""
    return _page("security", "console_security.html")


@bp.get("/console/audit")
def audit_page() -> str | WResponse:
    """The audit log (admins)."""
    return _page("audit", "console_audit.html")


@bp.get("/console/devices")
def devices_page() -> str | WResponse:
    """Devices with their place and liveness policy; admins bind them and set the policy."""
    return _page("devices", "console_devices.html")


@bp.get("/console/attendees/<int:attendee_id>")
def attendee_page(attendee_id: int) -> str | WResponse:
    """One attendee, masked, with the journey timeline; admins may unmask with a reason."""
    return _page("attendee", "console_attendee.html", attendee_id=attendee_id)


@bp.get("/api/console/attendees/<int:attendee_id>/status")
@requires(*ANY_STAFF)
def attendee_status(attendee_id: int) -> Response:
    """Flights, rides (driver, vehicle), hotel stay and room, venue presence, face enrolment."""
    with unit_of_work(read_only=True) as db:
        return jsonify(status_of(db, attendee_id))


@bp.get("/api/console/summary")
@requires(*ANY_STAFF)
def summary() -> Response:
    """All counters and chart series of the console, counted from the database."""
    with unit_of_work(read_only=True) as db:
        return jsonify(console_service.summary(db))


@bp.get("/api/console/alerts")
@requires(*ANY_STAFF)
def alerts() -> Response:
    """Open alerts, newest first (?all=1 includes acknowledged ones, ?security=1 filters)."""
    with unit_of_work(read_only=True) as db:
        out = console_service.list_alerts(
            db,
            open_only=request.args.get("all") != "1",
            security_only=request.args.get("security") == "1",
        )
    return jsonify({"alerts": out})


@bp.post("/api/console/alerts/<int:alert_id>/ack")
@requires(*ANY_STAFF)
def acknowledge(alert_id: int) -> Response:
    """Acknowledge an alert (audited; 409 already_acknowledged the second time)."""
    with unit_of_work() as db:
        return jsonify(console_service.acknowledge_alert(db, alert_id, current().actor))


@bp.post("/api/console/trips/<int:trip_id>/reassign")
@requires(*STAFF)
def reassign(trip_id: int) -> Response:
    """Plan again the riders a driver marked no-show on a trip that is over (audited): which
    rider got which trip, who still has none (404 trip_not_found, 409 trip_not_closed,
    409 no_no_shows)."""
    with unit_of_work() as db:
        return jsonify(reassign_no_shows(db, trip_id, current().actor))


@bp.get("/api/console/events")
@requires(*ANY_STAFF)
def events() -> Response:
    """The newest events of the caller's rooms, oldest first, with the current sequence."""
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise ValidationError("limit: a whole number from 1 to 500", "invalid_limit")
    with unit_of_work(read_only=True) as db:
        out = console_service.recent_events(db, rooms_for(current()), int(raw))
        seq = console_service.last_seq(db)
    return jsonify({"events": out, "seq": seq})


@bp.get("/api/console/lists/<name>")
@requires(*ANY_STAFF)
def list_rows(name: str) -> Response:
    """The list behind a number, as a table of masked rows."""
    with unit_of_work(read_only=True) as db:
        columns, rows = console_lists.build_list(db, name, current().role, request.args)
    return jsonify({"list": name, "columns": columns, "rows": rows})


@bp.get("/api/console/export/<name>.csv")
@requires(*ANY_STAFF)
def export_csv(name: str) -> Response:
    """Any console list as a CSV file (cells that would run as formulas are neutralised)."""
    with unit_of_work(read_only=True) as db:
        columns, rows = console_lists.build_list(db, name, current().role, request.args)
    return Response(
        console_lists.to_csv(columns, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
