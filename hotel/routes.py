"""HTTP handlers of the hotel domain: the lobby kiosk (device token) and staff desk views.

Each handler parses and validates, calls one service function inside one unit of work, and
maps the result. Errors leave through the one error handler: `rooms_short` is a `RoomsShort`
(409) whose alert `hotel.shortage.refuse` has already committed.
"""

from __future__ import annotations

from datetime import date

import pydantic
from flask import Blueprint, Response, jsonify, request

from core.clock import utcnow
from hotel import kiosk, release, service, views
from hotel.clock import hotel_night
from hotel.errors import HotelInvalid
from hotel.keys import KeyMaker, with_qr_images
from web.api import MAX_INT, documented, parse_json, runtime, unit_of_work, validate
from web.auth import ANY_STAFF, STAFF, current, requires
from web.ratelimit import limit

bp = Blueprint("hotel_routes", __name__)


class IdentifyIn(pydantic.BaseModel):
    """Exactly one of: a ticket from the live camera stream, or an entrance code."""

    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)
    ticket: str | None = pydantic.Field(default=None, min_length=1, max_length=400)
    code: str | None = pydantic.Field(default=None, min_length=1, max_length=200)

    @pydantic.model_validator(mode="after")
    def _one_identity(self) -> IdentifyIn:
        if (self.ticket is None) == (self.code is None):
            raise ValueError("send exactly one of ticket or code")
        return self


class TicketIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    ticket: str = pydantic.Field(min_length=1, max_length=400)


class RoomChoiceIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    room_id: pydantic.StrictInt | None = pydantic.Field(default=None, ge=1, le=MAX_INT)


class NightQuery(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    night: date | None = None
    list: str = "arrivals"


# -- lobby kiosk ---------------------------------------------------------------------------


@bp.post("/api/hotel/kiosk/identify")
@requires("hotel_desk")
@limit("hotel_identify", per_minute=120)
@documented(
    IdentifyIn,
    "Identify a guest: JSON `ticket` (live camera) or `code`, or a multipart `image` at a "
    "desk whose liveness check is off; the reservation and a single-use ticket.",
)
def identify() -> Response:
    ticket, code, image = None, None, None
    if "image" in request.files:
        image = request.files["image"].read()
        if not image:
            raise HotelInvalid("the image is empty", "empty_image")
    else:
        body = parse_json(IdentifyIn)
        ticket, code = body.ticket, body.code
    # No unit of work here: face work must not hold a transaction; the service opens its own.
    found = kiosk.identify_guest(
        runtime(), current(), ticket=ticket, code=code, image=image, now=utcnow()
    )
    return jsonify(found)


@bp.post("/api/hotel/kiosk/check-in")
@requires("hotel_desk")
@documented(TicketIn, "Check in the identified guest: room, key PIN + QR, Wi-Fi.")
def kiosk_check_in() -> Response:
    body = parse_json(TicketIn)
    with unit_of_work() as db:
        result = kiosk.kiosk_check_in(db, runtime(), current(), body.ticket, now=utcnow())
    return jsonify(with_qr_images(result))


@bp.post("/api/hotel/kiosk/check-out")
@requires("hotel_desk")
@documented(TicketIn, "Check out the identified guest; shows the departure transfer.")
def kiosk_check_out() -> Response:
    body = parse_json(TicketIn)
    with unit_of_work() as db:
        result = kiosk.kiosk_check_out(db, runtime(), current(), body.ticket, now=utcnow())
    return jsonify(result)


# -- staff desk ----------------------------------------------------------------------------


@bp.get("/api/hotel/hotels")
@requires(*ANY_STAFF)
def list_hotels() -> Response:
    """Hotels with travel times to the airport and the station."""
    with unit_of_work(read_only=True) as db:
        return jsonify({"hotels": views.hotels(db)})


@bp.get("/api/hotel/occupancy")
@requires(*ANY_STAFF)
def occupancy() -> Response:
    """Per hotel for a night (default tonight): rooms, block use, guests, arrivals, short."""
    query = validate(NightQuery, request.args.to_dict())
    night = query.night or hotel_night(utcnow())
    with unit_of_work(read_only=True) as db:
        return jsonify({"night": night.isoformat(), "hotels": views.occupancy(db, night)})


@bp.get("/api/hotel/hotels/<int:hotel_id>/guests")
@requires(*ANY_STAFF)
def guests(hotel_id: int) -> Response:
    """Masked guests of a hotel and night: list=arrivals|unassigned|no_shows|in_house."""
    query = validate(NightQuery, request.args.to_dict())
    night = query.night or hotel_night(utcnow())
    with unit_of_work(read_only=True) as db:
        found = views.guest_list(db, hotel_id, night, query.list)
    return jsonify({"night": night.isoformat(), "list": query.list, "guests": found})


@bp.get("/api/hotel/stays/<int:stay_id>")
@requires(*ANY_STAFF)
def get_stay(stay_id: int) -> Response:
    """One reservation, masked."""
    with unit_of_work(read_only=True) as db:
        return jsonify(service.reservation_view(db, service.get_stay(db, stay_id)))


@bp.post("/api/hotel/stays/<int:stay_id>/assign")
@requires(*STAFF)
@documented(RoomChoiceIn, "Assign a room ahead of arrival (a given room, or the next free one).")
def assign(stay_id: int) -> Response:
    body = parse_json(RoomChoiceIn)
    with unit_of_work() as db:
        result = service.assign_room(db, stay_id, current().actor, room_id=body.room_id)
    return jsonify(result)


@bp.post("/api/hotel/stays/<int:stay_id>/check-in")
@requires(*STAFF)
@documented(RoomChoiceIn, "Check a guest in at the desk (optionally into a given room).")
def desk_check_in(stay_id: int) -> Response:
    body = parse_json(RoomChoiceIn)
    with unit_of_work() as db:
        result = service.check_in_guest(
            db,
            KeyMaker.from_runtime(runtime()),
            stay_id,
            current().actor,
            now=utcnow(),
            room_id=body.room_id,
        )
    return jsonify(with_qr_images(result))


@bp.post("/api/hotel/stays/<int:stay_id>/check-out")
@requires(*STAFF)
def desk_check_out(stay_id: int) -> Response:
    """Check a guest out at the desk."""
    with unit_of_work() as db:
        return jsonify(service.check_out_guest(db, stay_id, current().actor, now=utcnow()))


@bp.post("/api/hotel/no-shows/release")
@requires(*STAFF)
def release_no_shows() -> Response:
    """Release every reservation past its hotel's no-show cut-off (audited)."""
    with unit_of_work() as db:
        return jsonify(release.release_no_shows(db, utcnow(), current().actor))
