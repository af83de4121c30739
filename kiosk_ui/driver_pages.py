"""The driver's phone page: trips appear and change live; the token stays on the phone.

The token is given once in the link's fragment (`/driver#token=<id>.<secret>`), which the
browser never sends to the server (so it is not in any access log); the page keeps it in the
phone's local storage and sends it as a bearer token and in the Socket.IO handshake.
"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("driver_pages", __name__)


@bp.get("/driver")
def driver_page() -> str:
    """The driver phone page (data comes from /api/driver/* with the phone's token)."""
    return render_template("driver.html")
