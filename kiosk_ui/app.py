"""Application factory: binds the runtime, blueprints, Socket.IO handlers and the event relay."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask_socketio import SocketIO

from core.config import PROJECT_ROOT, Config
from core.events import subscribe
from core.runtime import Runtime, build_runtime
from web import live
from web.api import install_error_handlers, install_int_bounds, install_security_headers
from web.extensions import socketio

# Each module defines `bp` and may define `register_socketio(socketio)`.
WEB_MODULES = (
    "web.auth",
    "kiosk_ui.openapi",
    "kiosk_ui.admin",
    "kiosk_ui.registration_pages",
    "kiosk_ui.pages",
    "kiosk_ui.console",
    "checkin.attendee_routes",
    "checkin.routes",
    "checkin.events",
    "checkin.face_routes",
    "checkin.speech_routes",
    "kiosk_ui.assistant_pages",
    "hotel.routes",
    "hotel.events",
    "transport.routes",
    "transport.events",
    "rehearsal.routes",
    "kiosk_ui.driver_pages",
    "kiosk_ui.hotel_pages",
    "kiosk_ui.face_review_pages",
    "kiosk_ui.system_routes",
)


_relays: list[Callable[[], None]] = []


def _relay_once(server: SocketIO) -> Callable[[], None]:
    """Subscribe the Socket.IO relay, replacing the one an earlier app in this process made.

    The Socket.IO server is one per process, so two relays would send every event twice.
    """
    while _relays:
        _relays.pop()()
    unsubscribe = subscribe(live.relay(server))
    _relays.append(unsubscribe)
    return unsubscribe


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the Flask app for a configuration (from the environment when none is given)."""
    config = config or (runtime.config if runtime else Config.from_env())
    rt = runtime or build_runtime(config)
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        SESSION_COOKIE_NAME="summit_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        RATE_LIMIT_FACTOR=config.rate_limit_factor,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["summit"] = rt
    install_error_handlers(app)
    install_int_bounds(app)
    install_security_headers(app)
    for name in WEB_MODULES:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
        hook = getattr(module, "register_socketio", None)
        if hook is not None:
            hook(socketio)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=config.socketio_message_queue,
        channel=config.socketio_channel,
        # None makes engineio refuse a handshake whose Origin is not this server's own (a page
        # elsewhere must not ride on a staff cookie); an empty list would switch the check off.
        cors_allowed_origins=list(config.socketio_allowed_origins) or None,
        max_http_buffer_size=4 * 1024 * 1024,
    )
    live.register(socketio)
    app.extensions["summit_unsubscribe"] = _relay_once(socketio)
    return app


def vendor_socketio_client() -> bool:
    """True when the Socket.IO browser client was installed by the set-up step."""
    return (PROJECT_ROOT / "kiosk_ui" / "static" / "vendor" / "socket.io.min.js").exists()
