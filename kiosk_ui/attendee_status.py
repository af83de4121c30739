"""Where one attendee is in their summit, for staff answering "where is my car?".

Flight(s), the pickup trip with its driver, vehicle and the rider's state, the hotel stay with
its room, whether they are inside a venue zone now (and since when), and face enrolment, each
with its time (ISO UTC; pages show local times). Names of other people are not included; the
driver's name is staff data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import iso
from core.errors import NotFound
from models import Attendee, FaceTemplate, Flight, Trip, TripPassenger, VenueCheckIn
from models.hotel import Hotel, Room, Stay
from models.transport import Driver, Vehicle
from models.venue import Gate, Zone, ZonePresence


def attendee_status(session: Session, attendee_id: int) -> dict[str, Any]:
    """The attendee's flights, rides, stays, venue presence and face enrolment, with times."""
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    return {
        "flights": _flights(session, attendee_id),
        "rides": _rides(session, attendee_id),
        "stays": _stays(session, attendee_id),
        "venue": _venue(session, attendee_id),
        "face": _face(session, attendee),
    }


def _flights(session: Session, attendee_id: int) -> list[dict[str, Any]]:
    legs = session.scalars(
        select(Flight).where(Flight.attendee_id == attendee_id).order_by(Flight.scheduled_at)
    )
    return [
        {
            "kind": f.kind,
            "number": f.number,
            "place": f.place,
            "terminal": f.terminal,
            "scheduled_at": iso(f.scheduled_at),
            "estimated_at": iso(f.estimated_at),
            "landed_at": iso(f.landed_at),
        }
        for f in legs
    ]


def _rides(session: Session, attendee_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(TripPassenger, Trip, Driver, Vehicle)
        .join(Trip, Trip.id == TripPassenger.trip_id)
        .outerjoin(Driver, Driver.id == Trip.driver_id)
        .outerjoin(Vehicle, Vehicle.id == Trip.vehicle_id)
        .where(TripPassenger.attendee_id == attendee_id)
        .order_by(Trip.starts_at)
    ).all()
    return [
        {
            "trip": trip.id,
            "kind": trip.kind,
            "trip_state": trip.state,
            "rider_state": seat.state,
            "starts_at": iso(trip.starts_at),
            "meeting_point": trip.meeting_point,
            "driver": driver.name if driver else None,
            "driver_phone": driver.phone if driver else None,
            "vehicle": vehicle.plate if vehicle else None,
            "boarded_at": iso(seat.boarded_at),
        }
        for seat, trip, driver, vehicle in rows
    ]


def _stays(session: Session, attendee_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Stay, Hotel, Room)
        .join(Hotel, Hotel.id == Stay.hotel_id)
        .outerjoin(Room, Room.id == Stay.room_id)
        .where(Stay.attendee_id == attendee_id)
        .order_by(Stay.check_in_date)
    ).all()
    return [
        {
            "hotel_zh": hotel.name_zh,
            "hotel_en": hotel.name_en,
            "state": stay.state,
            "room": room.number if room else None,
            "check_in_date": stay.check_in_date.isoformat(),
            "check_out_date": stay.check_out_date.isoformat(),
            "checked_in_at": iso(stay.checked_in_at),
            "checked_out_at": iso(stay.checked_out_at),
        }
        for stay, hotel, room in rows
    ]


def _venue(session: Session, attendee_id: int) -> dict[str, Any]:
    inside = session.execute(
        select(ZonePresence, Zone)
        .join(Zone, Zone.id == ZonePresence.zone_id)
        .where(ZonePresence.attendee_id == attendee_id, ZonePresence.inside.is_(True))
    ).all()
    first = session.execute(
        select(VenueCheckIn, Gate)
        .join(Gate, Gate.id == VenueCheckIn.gate_id)
        .where(VenueCheckIn.attendee_id == attendee_id)
        .order_by(VenueCheckIn.day.desc())
        .limit(1)
    ).first()
    return {
        "inside": [
            {"zone_zh": z.name_zh, "zone_en": z.name_en, "since": iso(p.since)} for p, z in inside
        ],
        "last_check_in": iso(first[0].first_seen) if first else None,
        "last_check_in_gate": first[1].code if first else None,
    }


def _face(session: Session, attendee: Attendee) -> dict[str, Any]:
    templates = session.scalars(
        select(FaceTemplate.created_at).where(FaceTemplate.attendee_id == attendee.id)
    ).all()
    return {
        "consent": attendee.consent_face,
        "consent_at": iso(attendee.consent_face_at),
        "templates": len(templates),
        "enrolled_at": iso(max(templates)) if templates else None,
    }
