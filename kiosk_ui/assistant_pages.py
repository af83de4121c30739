"""HTTP/Socket.IO handlers of this area (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("kiosk_ui_assistant_pages", __name__)
