"""The `/live` Socket.IO namespace: authenticated connect, rooms, relay of domain events, catch-up.

Every domain event is emitted to its rooms as `event` with `{seq, event, at, data}`. A client
that reconnects sends `catch_up {after: <last seq seen>}` and receives, in order, the events it
missed for its rooms, then `caught_up {seq}`. Domain packages add their own handlers on this
namespace with `socketio.on(name, namespace=NAMESPACE)`, find the caller with `caller()`, and
free what they keep per connection with `on_disconnect(callback)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import request
from flask_socketio import SocketIO, disconnect, emit, join_room
from sqlalchemy import select

from core.accounts import Principal, principal_for_user
from core.errors import SummitError
from core.events import Published, events_since
from models.auth import Device
from models.venue import Gate
from web.api import MAX_INT, unit_of_work
from web.auth import resolve_principal

NAMESPACE = "/live"
CATCH_UP_PAGE = 500  # events read per query while a reconnecting client catches up

_callers: dict[str, Principal] = {}
_rooms: dict[str, list[str]] = {}
_lock = threading.Lock()
_on_disconnect: list[Callable[[str], None]] = []


def caller() -> Principal | None:
    """The principal of the Socket.IO connection handling the current event."""
    with _lock:
        principal = _callers.get(request.sid)  # type: ignore[attr-defined]
    # A device token revoked, or a staff session ended (logout, password change), while its
    # socket is open must stop at its next event, not at reconnect.
    if principal is not None and _ended(principal):
        disconnect()
        return None
    return principal


def _ended(principal: Principal) -> bool:
    with unit_of_work(read_only=True) as db:
        if principal.kind == "staff":
            return principal_for_user(db, principal.id, principal.session_version) is None
        device = db.get(Device, principal.id)
        return device is None or device.revoked_at is not None


def rooms_for(principal: Principal) -> list[str]:
    """Which rooms a caller may listen to."""
    if principal.kind == "staff":
        rooms = ["console"]
        if principal.role in ("admin", "security"):
            rooms.append("security")
        return rooms
    if principal.role == "driver" and principal.driver_id is not None:
        return [f"driver:{principal.driver_id}"]
    rooms = [f"kiosk:{principal.id}"]
    if principal.gate_id is not None:
        with unit_of_work(read_only=True) as db:
            zone_id = db.scalar(select(Gate.zone_id).where(Gate.id == principal.gate_id))
        rooms.append(f"zone:{zone_id}")
    return rooms


def on_disconnect(callback: Callable[[str], None]) -> None:
    """Call `callback(sid)` when a connection closes, to free state a package keeps per socket."""
    with _lock:
        if callback not in _on_disconnect:
            _on_disconnect.append(callback)


def drop_device(socketio: SocketIO, device_id: int) -> None:
    """Close this process's live connections of a revoked device at once.

    Other server processes close theirs on the device's next event (see `caller`).
    """
    _drop(socketio, "device", device_id)


def drop_staff(socketio: SocketIO, user_id: int) -> None:
    """Close this process's live connections of a staff user whose sessions ended.

    Other server processes close theirs on the user's next event (see `caller`).
    """
    _drop(socketio, "staff", user_id)


def _drop(socketio: SocketIO, kind: str, principal_id: int) -> None:
    with _lock:
        sids = [sid for sid, p in _callers.items() if p.kind == kind and p.id == principal_id]
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)


def relay(socketio: SocketIO) -> Any:
    """A subscriber that forwards each published event to its rooms."""

    def _forward(event: Published) -> None:
        socketio.emit("event", event.envelope(), to=list(event.rooms), namespace=NAMESPACE)
        if event.name == "device_revoked":
            drop_device(socketio, int(event.payload["device_id"]))
        elif event.name == "staff_sessions_ended":
            drop_staff(socketio, int(event.payload["user_id"]))

    return _forward


def register(socketio: SocketIO) -> None:
    """Attach connect/disconnect/catch-up handlers."""

    @socketio.on("connect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _connect(auth: dict[str, Any] | None = None) -> bool:
        token = (auth or {}).get("token") if isinstance(auth, dict) else None
        try:
            principal = resolve_principal(token if isinstance(token, str) else None)
        except SummitError:
            return False
        if principal is None:
            return False
        rooms = rooms_for(principal)
        for room in rooms:
            join_room(room)
        with _lock:
            _callers[request.sid] = principal  # type: ignore[attr-defined]
            _rooms[request.sid] = rooms  # type: ignore[attr-defined]
        emit("hello", {"role": principal.role, "rooms": rooms})
        return True

    @socketio.on("disconnect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _disconnect(*_args: Any) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        with _lock:
            _callers.pop(sid, None)
            _rooms.pop(sid, None)
            callbacks = list(_on_disconnect)
        for callback in callbacks:
            callback(sid)

    @socketio.on("catch_up", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
    def _catch_up(data: Any) -> dict[str, Any]:
        after = data.get("after") if isinstance(data, dict) else None
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_INT:
            return {
                "error": "validation_error",
                "message": f"after: an integer from 0 to {MAX_INT}",
            }
        with _lock:
            rooms = list(_rooms.get(request.sid, []))  # type: ignore[attr-defined]
        last, count = after, 0
        while True:  # page by page, each read short, until a page comes back less than full
            with unit_of_work(read_only=True) as db:
                page = events_since(db, last, rooms, limit=CATCH_UP_PAGE)
            for event in page:
                emit("event", event.envelope())
                last = event.seq
            count += len(page)
            if len(page) < CATCH_UP_PAGE:
                break
        emit("caught_up", {"seq": last, "count": count})
        return {"ok": True, "count": count, "seq": last}
