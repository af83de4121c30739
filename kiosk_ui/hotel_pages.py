"""Hotel pages: the lobby kiosk (device token) and the staff occupancy desk (staff login).

The kiosk's token is given once in the link's fragment (`/hotel/kiosk#token=<id>.<secret>`),
which browsers never send to the server; the page keeps it in local storage and sends it as a
bearer token. The desk page is a console page for logged-in staff.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, session
from sqlalchemy import func, select

from models.events import DomainEvent
from web.api import unit_of_work
from web.auth import ANY_STAFF, staff_on_page, to_login

bp = Blueprint("hotel_pages", __name__)


@bp.get("/hotel/kiosk")
def kiosk_page() -> str:
    """The lobby kiosk: face or entrance code, reservation, room key and Wi-Fi."""
    return render_template("hotel_kiosk.html")


@bp.get("/console/hotels")
def desk_page() -> str | Response:
    """Occupancy per hotel, arrivals, unassigned rooms and no-shows, updated live."""
    principal = staff_on_page()
    if principal is None:
        return to_login()  # type: ignore[return-value]
    if principal.role not in ANY_STAFF:
        return Response("forbidden", status=403)
    with unit_of_work(read_only=True) as db:
        seq = db.scalar(select(func.max(DomainEvent.id))) or 0
    return render_template(
        "hotel_desk.html",
        csrf=session.get("csrf", ""),
        user=principal.name,
        role=principal.role,
        page="hotels",
        seq=seq,
    )
