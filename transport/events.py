"""HTTP/Socket.IO handlers of this area (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("transport_events", __name__)
