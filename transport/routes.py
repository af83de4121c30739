"""HTTP API of transport: staff planning and boards, flight changes, and the driver's own trips.

Staff and admins plan and watch; the airport desk also reports estimates and landings; a driver
(device of kind "driver") sees and moves only the trips assigned to them.
"""

from __future__ import annotations

from typing import Literal

import pydantic
from flask import Blueprint, Response, jsonify, request

from core.clock import iso, to_utc, utcnow
from core.errors import Forbidden
from transport import board, delays, fleet, service, trips
from transport.snapshot import trip_snapshot
from web.api import MAX_INT, documented, parse_json, runtime, unit_of_work, validate
from web.auth import STAFF, current, requires
from web.ratelimit import limit
from web.types import Count, Id, IdKey, SummitDay, SummitTime

bp = Blueprint("transport_routes", __name__)
DESK = (*STAFF, "airport_desk")
Strict = pydantic.ConfigDict(extra="forbid")


class PlanBody(pydantic.BaseModel):
    model_config = Strict
    kind: Literal["pickup", "departure"]
    day: SummitDay | None = None


class EstimateBody(pydantic.BaseModel):
    model_config = Strict
    estimated_at: SummitTime


class LandedBody(pydantic.BaseModel):
    model_config = Strict
    landed_at: SummitTime | None = None


class FlightBody(pydantic.BaseModel):
    model_config = Strict
    attendee_id: Id
    kind: Literal["arrival", "departure"]
    number: str = pydantic.Field(min_length=2, max_length=12)
    place: str = pydantic.Field(min_length=3, max_length=10)
    terminal: str = pydantic.Field(default="", max_length=10)
    international: bool = False
    scheduled_at: SummitTime


class VehicleBody(pydantic.BaseModel):
    model_config = Strict
    plate: str = pydantic.Field(min_length=2, max_length=20)
    kind: str
    capacity: pydantic.StrictInt = pydantic.Field(le=MAX_INT)
    vip_only: bool = False


class DriverBody(pydantic.BaseModel):
    model_config = Strict
    name: str = pydantic.Field(min_length=1, max_length=100)
    phone: str = pydantic.Field(min_length=5, max_length=20)
    vehicle_id: Id | None = None
    shift_start: SummitTime
    shift_end: SummitTime


class AssignBody(pydantic.BaseModel):
    model_config = Strict
    driver_id: Id


class BoardBody(pydantic.BaseModel):
    model_config = Strict
    attendee_id: Id
    method: Literal["face", "code"]
    photo: str | None = pydantic.Field(default=None, max_length=3_000_000)
    code: str | None = pydantic.Field(default=None, max_length=200)


class PassengerBody(pydantic.BaseModel):
    model_config = Strict
    attendee_id: Id


class AckBody(pydantic.BaseModel):
    model_config = Strict
    seq: Count
    trips: dict[IdKey, Count] = pydantic.Field(default_factory=dict, max_length=500)


class BoardQuery(pydantic.BaseModel):
    hours: int = pydantic.Field(default=6, ge=1, le=48)
    place: Literal["FOC", "FZS"] | None = None


@bp.post("/api/transport/plan")
@requires(*STAFF)
@documented(PlanBody, "Plan pickups or departures for every leg without a trip.")
def plan() -> tuple[Response, int]:
    body = parse_json(PlanBody)
    fn = service.plan_pickups if body.kind == "pickup" else service.plan_departures
    with unit_of_work() as db:
        report = fn(db, day=body.day)
    return jsonify(report.to_dict()), 200


@bp.post("/api/flights")
@requires(*STAFF)
@documented(FlightBody, "Record one attendee's arrival or departure leg.")
def add_flight() -> tuple[Response, int]:
    body = parse_json(FlightBody)
    data = fleet.LegData(**{**body.model_dump(), "scheduled_at": to_utc(body.scheduled_at)})
    with unit_of_work() as db:
        leg = fleet.add_flight(db, data)
        out = {"id": leg.id, "number": leg.number, "scheduled_at": iso(leg.scheduled_at)}
    return jsonify(out), 201


@bp.post("/api/flights/<int:flight_id>/estimate")
@requires(*DESK)
@documented(EstimateBody, "Change a flight's estimated time; re-plans only the trips it touches.")
def estimate(flight_id: int) -> Response:
    body = parse_json(EstimateBody)
    with unit_of_work() as db:
        report = delays.change_estimate(db, flight_id, to_utc(body.estimated_at), current().actor)
    return jsonify(report.to_dict())


@bp.post("/api/flights/<int:flight_id>/landed")
@requires(*DESK)
@documented(LandedBody, "The flight landed: its passengers are recorded as arrived.")
def landed(flight_id: int) -> Response:
    body = parse_json(LandedBody)
    at = to_utc(body.landed_at) if body.landed_at else utcnow()
    with unit_of_work() as db:
        legs = fleet.record_landing(db, flight_id, at, current().actor)
        ids = [leg.id for leg in legs]
    with unit_of_work() as db:  # nobody on the ground without a trip: plan or alert now
        report = service.carry_landed(db, ids)
    answer: dict[str, object] = {"flight_id": flight_id, "passengers": len(ids)}
    answer["landed_at"] = iso(at)
    if report is not None:
        answer["planned_now"] = report.to_dict()
    return jsonify(answer)


@bp.post("/api/vehicles")
@requires(*STAFF)
@documented(VehicleBody, "Register a vehicle.")
def add_vehicle() -> tuple[Response, int]:
    body = parse_json(VehicleBody)
    with unit_of_work() as db:
        v = fleet.add_vehicle(db, body.plate, body.kind, body.capacity, body.vip_only)
        out = {"id": v.id, "plate": v.plate, "kind": v.kind, "capacity": v.capacity}
    return jsonify(out), 201


@bp.post("/api/drivers")
@requires(*STAFF)
@documented(DriverBody, "Register a driver with their vehicle and shift.")
def add_driver() -> tuple[Response, int]:
    body = parse_json(DriverBody)
    with unit_of_work() as db:
        d = fleet.add_driver(
            db,
            body.name,
            body.phone,
            body.vehicle_id,
            to_utc(body.shift_start),
            to_utc(body.shift_end),
        )
        out = {
            "id": d.id,
            "vehicle_id": d.vehicle_id,
            "shift_start": iso(d.shift_start),
            "shift_end": iso(d.shift_end),
        }
    return jsonify(out), 201


@bp.post("/api/trips/<int:trip_id>/assign")
@requires(*STAFF)
@documented(AssignBody, "Give a trip to a driver by hand (refused when they are busy).")
def assign(trip_id: int) -> Response:
    body = parse_json(AssignBody)
    with unit_of_work() as db:
        trip = fleet.assign_driver(db, trip_id, body.driver_id)
        return jsonify(trip_snapshot(db, trip))


class ReplanBody(pydantic.BaseModel):
    model_config = Strict
    kind: Literal["arrival", "departure"]


@bp.post("/api/transport/attendees/<int:attendee_id>/replan")
@requires(*STAFF)
@documented(ReplanBody, "Re-plan one attendee's leg after their hotel or time changed.")
def replan_attendee(attendee_id: int) -> Response:
    body = parse_json(ReplanBody)
    with unit_of_work() as db:
        return jsonify(service.replan_attendee(db, attendee_id, body.kind).to_dict())


@bp.get("/api/transport/arrivals-board")
@requires(*DESK)
def arrivals_board() -> Response:
    """Flights landing now and soon, with waiting, on-board and at-hotel counts."""
    query = validate(BoardQuery, request.args.to_dict())
    with unit_of_work(read_only=True) as db:
        return jsonify(board.arrivals_board(db, hours=query.hours, place=query.place))


@bp.get("/api/transport/without-trip")
@requires(*DESK)
def without_trip() -> Response:
    """Passengers whose leg no trip carries (kind=arrival|departure)."""
    kind = "departure" if request.args.get("kind") == "departure" else "arrival"
    with unit_of_work(read_only=True) as db:
        return jsonify({"passengers": board.passengers_without_trip(db, kind)})


@bp.get("/api/transport/drivers-not-accepted")
@requires(*DESK)
def not_accepted() -> Response:
    """Drivers with a trip soon that they have not accepted."""
    with unit_of_work(read_only=True) as db:
        return jsonify({"drivers": board.drivers_not_accepted(db)})


@bp.get("/api/transport/attendees/<int:attendee_id>/trips")
@requires(*STAFF, "kiosk")
def attendee_trips(attendee_id: int) -> Response:
    """An attendee's pickup and departure trips; a kiosk shows the ticket that identified them.

    The ticket comes as `?ticket=` or the `X-Identification-Ticket` header.
    """
    ticket = request.args.get("ticket") or request.headers.get("X-Identification-Ticket")
    with unit_of_work(read_only=True) as db:
        found = trips.trips_for_caller(db, runtime(), current(), attendee_id, ticket)
        return jsonify({"trips": found})


@bp.get("/api/driver/trips")
@requires("driver")
def my_trips() -> Response:
    """The calling driver's active trips and the last event number they acknowledged."""
    driver_id = _driver_id()
    with unit_of_work(read_only=True) as db:
        return jsonify(trips.driver_overview(db, driver_id))


@bp.get("/api/driver/trips/<int:trip_id>")
@requires("driver")
def my_trip(trip_id: int) -> Response:
    """One of the calling driver's trips."""
    with unit_of_work(read_only=True) as db:
        return jsonify(trip_snapshot(db, trips.driver_trip(db, _driver_id(), trip_id)))


@bp.post("/api/driver/trips/<int:trip_id>/<any(accept, arrive, depart, drop_off, close):action>")
@requires("driver")
def move_trip(trip_id: int, action: str) -> Response:
    """Accept, arrive at the pickup point, depart, drop off, or close a trip nobody came to."""
    with unit_of_work() as db:
        answer = trip_snapshot(db, trips.advance_trip(db, _driver_id(), trip_id, action))
    if action == "close":  # the vehicle is free again: whoever has no trip may get it now
        with unit_of_work() as db:
            service.plan_stranded(db)
    return jsonify(answer)


@bp.post("/api/driver/trips/<int:trip_id>/board")
@requires("driver")
@limit("board", per_minute=60)
@documented(
    BoardBody,
    "Confirm the passenger picked on the manifest on board: face photo (1:1) or their entrance "
    "code (used once; a replay is 409 code_replayed).",
)
def board_passenger(trip_id: int) -> Response:
    body = parse_json(BoardBody)
    proof = (body.photo if body.method == "face" else body.code) or ""
    snapshot = trips.confirm_passenger(
        runtime(), current(), trip_id, body.attendee_id, body.method, proof
    )
    return jsonify(snapshot)


@bp.post("/api/driver/trips/<int:trip_id>/no-show")
@requires("driver")
@documented(PassengerBody, "The passenger did not come.")
def no_show(trip_id: int) -> Response:
    body = parse_json(PassengerBody)
    with unit_of_work() as db:
        trip = trips.mark_no_show(db, _driver_id(), trip_id, body.attendee_id)
        return jsonify(trip_snapshot(db, trip))


@bp.post("/api/driver/ack")
@requires("driver")
@documented(AckBody, "Acknowledge received events and trip versions.")
def ack() -> Response:
    body = parse_json(AckBody)
    with unit_of_work() as db:
        return jsonify(trips.acknowledge(db, _driver_id(), body.seq, body.trips))


def _driver_id() -> int:
    driver_id = current().driver_id
    if driver_id is None:  # create_device refuses this, but a token must never see all trips
        raise Forbidden("this driver token has no driver", "forbidden")
    return driver_id
