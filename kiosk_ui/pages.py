"""Delegate-facing pages: the kiosk/gate camera page and the delegate's phone page.

Pages are server-rendered shells; their JavaScript talks to the same APIs and Socket.IO
events as any other client (checkin.routes, checkin.events, checkin.portal_routes).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_file

from core.config import PROJECT_ROOT
from kiosk_ui.messages import script

bp = Blueprint("kiosk_ui_pages", __name__)


@bp.get("/gate")
def gate_page() -> str:
    """A gate's full-screen camera page (device token and gate id are set up on the device)."""
    return render_template("gate.html", mode="gate")


@bp.get("/kiosk")
def kiosk_page() -> str:
    """The same camera page for a free-standing check-in kiosk."""
    return render_template("gate.html", mode="kiosk")


@bp.get("/phone")
def phone_page() -> str:
    """The delegate's phone: entrance QR code and journey (opened with a one-time code)."""
    return render_template("phone.html", code="")


@bp.get("/p/<code>")
def phone_link(code: str) -> str:
    """A one-time link: the page asks before spending it (link previews must not use it up)."""
    return render_template("phone.html", code=code[:40])


@bp.get("/i18n/messages.js")
def messages_script() -> Response:
    """The message catalogue, for every page to load before static/js/summit.js."""
    response = Response(script(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


JSQR = PROJECT_ROOT / "node_modules" / "jsqr" / "dist" / "jsQR.js"
QRCODE = PROJECT_ROOT / "node_modules" / "qrcode-generator" / "dist" / "qrcode.js"


@bp.get("/vendor/jsQR.js")
def jsqr_script() -> Response:
    """The QR decoder (npm jsqr, Apache-2.0) the driver page scans entrance codes with; without
    it the page falls back to typing the code."""
    return _node_script(JSQR)


@bp.get("/vendor/qrcode.js")
def qrcode_script() -> Response:
    """The QR encoder (npm qrcode-generator, MIT) the phone page draws its entrance code with;
    without it the page asks the server for the image."""
    return _node_script(QRCODE)


def _node_script(path: Path) -> Response:
    """A browser library from node_modules (./dev setup installs it); 404 when it is absent."""
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=3600)
