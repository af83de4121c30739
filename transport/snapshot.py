"""What drivers and the console see of a trip (masked names only), and publishing it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import iso
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.hotel import Hotel
from models.transport import Flight, Trip, TripPassenger, Vehicle
from transport.requests import PLACE_NAMES


def trip_snapshot(session: Session, trip: Trip) -> dict[str, Any]:
    """The whole trip as the driver's phone shows it; every event carries one."""
    hotel = session.get(Hotel, trip.hotel_id) if trip.hotel_id else None
    vehicle = session.get(Vehicle, trip.vehicle_id) if trip.vehicle_id else None
    half = (trip.ends_at - trip.starts_at) / 2
    # A trip books a round trip: pickups meet at the hub at the start, departures collect at
    # the hotel half-way through and drop off at the hub at the end.
    pickup_at = trip.starts_at if trip.kind == "pickup" else trip.ends_at - half
    return {
        "id": trip.id,
        "version": trip.version,
        "kind": trip.kind,
        "state": trip.state,
        "place": trip.place,
        "place_name": PLACE_NAMES.get(trip.place, trip.place),
        "meeting_point": trip.meeting_point,
        "pickup_at": iso(pickup_at),
        "hub_at": iso(trip.starts_at if trip.kind == "pickup" else trip.ends_at),
        "starts_at": iso(trip.starts_at),
        "ends_at": iso(trip.ends_at),
        "driver_id": trip.driver_id,
        "hotel": _hotel(hotel),
        "vehicle": _vehicle(vehicle),
        "passengers": passengers(session, trip.id),
    }


def _hotel(hotel: Hotel | None) -> dict[str, Any]:
    if hotel is None:
        return {"id": None, "name_zh": "峰会会场", "name_en": "Summit venue"}
    return {"id": hotel.id, "name_zh": hotel.name_zh, "name_en": hotel.name_en}


def _vehicle(vehicle: Vehicle | None) -> dict[str, Any] | None:
    if vehicle is None:
        return None
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "kind": vehicle.kind,
        "capacity": vehicle.capacity,
    }


def passengers(session: Session, trip_id: int) -> list[dict[str, Any]]:
    """Riders of a trip with masked names and their leg."""
    rows = session.execute(
        select(TripPassenger, Attendee.name, Attendee.category, Flight)
        .join(Attendee, Attendee.id == TripPassenger.attendee_id)
        .join(Flight, Flight.id == TripPassenger.flight_id)
        .where(TripPassenger.trip_id == trip_id)
        .order_by(TripPassenger.id)
    ).all()
    return [
        {
            "attendee_id": tp.attendee_id,
            "name": mask_name(name),
            "category": category,
            "state": tp.state,
            "confirmed_by": tp.confirmed_by,
            "flight": leg.number,
            "terminal": leg.terminal,
            "scheduled_at": iso(leg.scheduled_at),
            "estimated_at": iso(leg.estimated_at),
            "landed_at": iso(leg.landed_at),
        }
        for tp, name, category, leg in rows
    ]


def publish_trip(session: Session, trip: Trip, event: str) -> None:
    """Send the trip's snapshot to its driver's room and to the console."""
    session.flush()
    rooms = ["console"]
    if trip.driver_id is not None:
        rooms.append(f"driver:{trip.driver_id}")
    emit(session, event, {"trip": trip_snapshot(session, trip)}, rooms)
