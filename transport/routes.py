"""HTTP/Socket.IO handlers of this area (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("transport_routes", __name__)
