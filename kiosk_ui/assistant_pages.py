"""The kiosk assistant page: ask a question aloud, see the words and the answer."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("kiosk_ui_assistant_pages", __name__)


@bp.get("/kiosk/assistant")
def assistant() -> str:
    """The page; it authenticates its Socket.IO stream with the kiosk's device token."""
    return render_template("assistant.html")
