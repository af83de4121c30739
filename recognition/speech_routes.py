"""HTTP/Socket.IO handlers of this area (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("recognition_speech_routes", __name__)
