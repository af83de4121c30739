"""What drivers and the console see of a trip (masked names only), and publishing it."""

from __future__ import annotations

from collections.abc import Sequence
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
    return trip_snapshots(session, [trip])[0]


def trip_snapshots(session: Session, trips: Sequence[Trip]) -> list[dict[str, Any]]:
    """Snapshots of many trips with a fixed number of queries (planning publishes hundreds)."""
    hotels = _by_id(
        session, Hotel, {t.hotel_id for t in trips} | {h for t in trips for h in stops_of(t)}
    )
    vehicles = _by_id(session, Vehicle, {t.vehicle_id for t in trips})
    riders = passengers_of(session, [t.id for t in trips])
    return [
        _snapshot(t, hotels.get(t.hotel_id), vehicles.get(t.vehicle_id), riders.get(t.id, []))
        | {
            "stops": [_hotel(hotels.get(h)) for h in stops_of(t)]
            or [_hotel(hotels.get(t.hotel_id))]
        }
        for t in trips
    ]


def stops_of(trip: Trip) -> list[int]:
    """Hotel ids in visiting order when the trip serves several hotels, else []."""
    return [int(h) for h in (trip.stops or "").split(",") if h]


def _by_id(session: Session, model: Any, ids: set[int | None]) -> dict[int | None, Any]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def _snapshot(
    trip: Trip, hotel: Hotel | None, vehicle: Vehicle | None, riders: list[dict[str, Any]]
) -> dict[str, Any]:
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
        "passengers": riders,
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


def passengers_of(session: Session, trip_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Riders per trip with masked names and their leg."""
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in (trip_ids[i : i + 500] for i in range(0, len(trip_ids), 500)):
        rows = session.execute(
            select(TripPassenger, Attendee.name, Attendee.category, Flight)
            .join(Attendee, Attendee.id == TripPassenger.attendee_id)
            .join(Flight, Flight.id == TripPassenger.flight_id)
            .where(TripPassenger.trip_id.in_(chunk))
            .order_by(TripPassenger.id)
        ).all()
        for tp, name, category, leg in rows:
            out.setdefault(tp.trip_id, []).append(_rider(tp, name, category, leg))
    return out


def _rider(tp: TripPassenger, name: str, category: str, leg: Flight) -> dict[str, Any]:
    return {
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


def publish_trip(session: Session, trip: Trip, event: str) -> None:
    """Send the trip's snapshot to its driver's room and to the console."""
    publish_trips(session, [(trip, event)])


def publish_trips(session: Session, changes: Sequence[tuple[Trip, str]]) -> None:
    """Publish several trip events, in the given order, with snapshots loaded together."""
    session.flush()
    snapshots = trip_snapshots(session, [trip for trip, _event in changes])
    for (trip, event), snap in zip(changes, snapshots, strict=True):
        rooms = ["console"]
        if trip.driver_id is not None:
            rooms.append(f"driver:{trip.driver_id}")
        emit(session, event, {"trip": snap}, rooms)
