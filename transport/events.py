"""Socket.IO handlers for driver phones on the `/live` namespace.

A driver phone connects with its token (web.live puts it in room `driver:<id>`), then:
- `driver_sync` -> `{acked_seq, trips}`: the trips to show and where catch-up resumes when
  the phone lost its own record of the last event it saw;
- `catch_up {after}` (web.live): the missed events in order;
- `trip_ack {seq, trips: {trip_id: version}}` -> `{acked_seq}`: stored, so the console sees
  which drivers got their latest assignment.
Exactly-once is the page's part: it applies an event only if its `seq` is new (see driver.js).
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from flask import Blueprint
from flask_socketio import SocketIO

from core.errors import SummitError
from transport import trips
from web.api import MAX_INT, unit_of_work, validate
from web.live import NAMESPACE, caller

bp = Blueprint("transport_events", __name__)


class AckEvent(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    seq: int = pydantic.Field(ge=0, le=MAX_INT)
    trips: dict[
        Annotated[int, pydantic.Field(ge=1, le=MAX_INT)],
        Annotated[int, pydantic.Field(ge=0, le=MAX_INT)],
    ] = pydantic.Field(default_factory=dict, max_length=500)


def _driver() -> int:
    principal = caller()
    if principal is None or principal.role != "driver" or principal.driver_id is None:
        raise SummitError("only a driver phone may do this", "forbidden", 403)
    return principal.driver_id


def on_trip_ack(data: Any) -> dict[str, Any]:
    """Store the phone's acknowledgement; answer with an error envelope on bad input."""
    try:
        driver_id = _driver()
        body = validate(AckEvent, data)
        with unit_of_work() as db:
            return trips.acknowledge(db, driver_id, body.seq, body.trips)
    except SummitError as exc:
        return exc.to_dict()


def on_driver_sync(_data: Any = None) -> dict[str, Any]:
    """The driver's active trips and last acknowledged event number."""
    try:
        driver_id = _driver()
        with unit_of_work(read_only=True) as db:
            return trips.driver_overview(db, driver_id)
    except SummitError as exc:
        return exc.to_dict()


def register_socketio(socketio: SocketIO) -> None:
    """Attach the driver handlers to the live namespace."""
    socketio.on("trip_ack", namespace=NAMESPACE)(on_trip_ack)
    socketio.on("driver_sync", namespace=NAMESPACE)(on_driver_sync)
