"""Organiser input: flights, vehicles, drivers, landings and hand assignments, checked first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.journey import record_stage
from core.clock import iso, utcnow
from core.events import emit
from models.attendee import Attendee
from models.transport import FLIGHT_KINDS, VEHICLE_KINDS, Driver, Flight, Trip, Vehicle
from transport.errors import TransportConflict, TransportError, TransportNotFound
from transport.service import flight_legs
from transport.snapshot import publish_trip

PLACES = ("FOC", "FZS")


@dataclass(frozen=True)
class LegData:
    attendee_id: int
    kind: str
    number: str
    place: str
    scheduled_at: datetime  # naive UTC
    terminal: str = ""
    international: bool = False


def add_flight(session: Session, data: LegData, *, now: datetime | None = None) -> Flight:
    """Record one attendee's arrival or departure leg."""
    now = now or utcnow()
    if data.kind not in FLIGHT_KINDS:
        raise TransportError(f"kind must be one of {', '.join(FLIGHT_KINDS)}", "invalid_kind")
    if data.place not in PLACES:
        raise TransportError(f"place must be one of {', '.join(PLACES)}", "invalid_place")
    if data.scheduled_at < now:
        raise TransportError("the scheduled time is in the past", "time_in_past")
    if session.get(Attendee, data.attendee_id) is None:
        raise TransportNotFound(f"no attendee {data.attendee_id}", "attendee_not_found")
    legs = {
        leg.kind: leg
        for leg in session.scalars(select(Flight).where(Flight.attendee_id == data.attendee_id))
    }
    # Checked by kind: the first leg found used to be compared, so a second departure of an
    # attendee who also had an arrival reached the unique constraint (a 500).
    if data.kind in legs:
        raise TransportConflict(f"the attendee already has an {data.kind} leg", "duplicate_leg")
    other = next(iter(legs.values()), None)
    if other is not None:
        arrival, departure = (
            (data.scheduled_at, other.scheduled_at)
            if data.kind == "arrival"
            else (other.scheduled_at, data.scheduled_at)
        )
        if arrival >= departure:
            raise TransportError(
                "the arrival must come before the departure", "arrival_after_departure"
            )
    leg = Flight(**data.__dict__)
    session.add(leg)
    session.flush()
    return leg


def add_vehicle(
    session: Session, plate: str, kind: str, capacity: int, vip_only: bool = False
) -> Vehicle:
    """Register a vehicle."""
    if capacity <= 0:
        raise TransportError("capacity must be at least 1", "invalid_capacity")
    if kind not in VEHICLE_KINDS:
        raise TransportError(f"kind must be one of {', '.join(VEHICLE_KINDS)}", "invalid_kind")
    if session.scalar(select(Vehicle.id).where(Vehicle.plate == plate)):
        raise TransportConflict(f"vehicle {plate} exists", "duplicate_vehicle")
    vehicle = Vehicle(plate=plate, kind=kind, capacity=capacity, vip_only=vip_only)
    session.add(vehicle)
    session.flush()
    return vehicle


def add_driver(
    session: Session,
    name: str,
    phone: str,
    vehicle_id: int | None,
    shift_start: datetime,
    shift_end: datetime,
) -> Driver:
    """Register a driver with one shift."""
    if shift_end <= shift_start:
        raise TransportError("the shift must end after it starts", "invalid_shift")
    if vehicle_id is not None and session.get(Vehicle, vehicle_id) is None:
        raise TransportNotFound(f"no vehicle {vehicle_id}", "vehicle_not_found")
    driver = Driver(
        name=name, phone=phone, vehicle_id=vehicle_id, shift_start=shift_start, shift_end=shift_end
    )
    session.add(driver)
    session.flush()
    return driver


def assign_driver(session: Session, trip_id: int, driver_id: int) -> Trip:
    """Give a trip to a driver by hand; refused if that driver or vehicle is busy then."""
    trip = session.get(Trip, trip_id)
    if trip is None:
        raise TransportNotFound(f"no trip {trip_id}", "trip_not_found")
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise TransportNotFound(f"no driver {driver_id}", "driver_not_found")
    if trip.state not in ("planned", "assigned", "accepted"):
        raise TransportConflict(f"a trip that is {trip.state} keeps its driver", "trip_locked")
    if not driver.shift_start <= trip.starts_at or trip.ends_at > driver.shift_end:
        raise TransportConflict("the trip lies outside the driver's shift", "outside_shift")
    _check_free(session, trip, driver)
    previous = trip.driver_id
    if previous is not None and previous != driver_id:
        trip.state, trip.version = "cancelled", trip.version + 1
        publish_trip(session, trip, "trip_cancelled")  # the old driver sees it go away
        trip.state = "assigned"
    trip.driver_id, trip.vehicle_id = driver_id, driver.vehicle_id or trip.vehicle_id
    trip.version, trip.updated_at = trip.version + 1, utcnow()
    publish_trip(session, trip, "trip_assigned")
    return trip


def _check_free(session: Session, trip: Trip, driver: Driver) -> None:
    clash = session.scalar(
        select(Trip.id).where(
            Trip.id != trip.id,
            Trip.state != "cancelled",
            (Trip.driver_id == driver.id) | (Trip.vehicle_id == driver.vehicle_id),
            Trip.starts_at < trip.ends_at,
            Trip.ends_at > trip.starts_at,
        )
    )
    if clash is not None:
        raise TransportConflict(f"driver or vehicle already on trip {clash} then", "driver_busy")


def record_landing(
    session: Session,
    flight_id: int,
    landed_at: datetime,
    actor: str,
    *,
    now: datetime | None = None,
) -> list[Flight]:
    """The flight is on the ground: every passenger on it is recorded as arrived."""
    if landed_at > (now or utcnow()) + timedelta(minutes=5):
        raise TransportError("a landing cannot be in the future", "time_in_future")
    legs = flight_legs(session, flight_id)
    if legs[0].kind != "arrival":
        raise TransportError("only arrivals land here", "not_an_arrival")
    for leg in legs:
        leg.landed_at = landed_at
        record_stage(session, leg.attendee_id, "arrived", actor, at=landed_at, detail=leg.number)
    emit(
        session,
        "flight_landed",
        {
            "flight_id": legs[0].id,
            "number": legs[0].number,
            "place": legs[0].place,
            "terminal": legs[0].terminal,
            "landed_at": iso(landed_at),
            "passengers": len(legs),
        },
        ["console"],
    )
    return legs
