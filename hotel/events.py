"""Socket.IO handlers of the hotel domain on the "/live" namespace.

Staff screens ask `hotel_occupancy {night?}` and get the same answer as
GET /api/hotel/occupancy; hotel events themselves reach them through the relay of domain
events (`hotel_checked_in`, `hotel_checked_out`, `hotel_room_assigned`,
`hotel_no_shows_released`, all to the "console" room).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pydantic
from flask import Blueprint
from flask_socketio import SocketIO

from core.clock import utcnow
from core.errors import SummitError
from hotel import views
from hotel.clock import hotel_night
from web.api import unit_of_work, validate
from web.auth import ANY_STAFF
from web.live import NAMESPACE, caller

bp = Blueprint("hotel_events", __name__)


class OccupancyAsk(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    night: date | None = None


def occupancy_answer(data: Any) -> dict[str, Any]:
    """The occupancy for a staff caller, or an error envelope."""
    who = caller()
    if who is None or who.kind != "staff" or who.role not in ANY_STAFF:
        return {"error": "forbidden", "message": "staff only"}
    try:
        ask = validate(OccupancyAsk, data if data is not None else {})
    except SummitError as exc:
        return exc.to_dict()
    night = ask.night or hotel_night(utcnow())
    with unit_of_work(read_only=True) as db:
        return {"night": night.isoformat(), "hotels": views.occupancy(db, night)}


def register_socketio(socketio: SocketIO) -> None:
    """Attach the hotel handlers to the /live namespace."""
    socketio.on_event("hotel_occupancy", occupancy_answer, namespace=NAMESPACE)
