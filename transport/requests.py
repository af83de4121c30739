"""From stored legs, stays and drivers to the planner's plain inputs (Request, Resource).

The rules that turn a flight into a window live here, in one place:
- pickup: the car may leave once baggage is out (international 40 min, domestic 25, train 10)
  and must leave by `max_wait` minutes after landing (75 by default, baggage included);
- departure: drop-off 3 h to 2 h before an international flight, 2 h to 1.5 h before a
  domestic one, 1 h to 30 min before a train.
The destination is the hotel of the attendee's stay for that night; an attendee with no stay
goes to (or comes from) the venue, whose travel times are VENUE_TRAVEL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import to_local
from models.attendee import Attendee
from models.hotel import Hotel, Stay
from models.transport import Driver, Flight, Trip, Vehicle
from transport.planner import Request, Resource, minutes

STATION = "FZS"
VENUE_TRAVEL = {"airport": 50, "station": 30}  # Fuzhou Strait International Conference Center
PLACE_NAMES = {"FOC": "福州长乐国际机场 Changle Airport", "FZS": "福州南站 Fuzhou South"}


@dataclass(frozen=True)
class Settings:
    """Planner rules that an organiser may tune (minutes)."""

    max_wait: int = 75
    baggage_international: int = 40
    baggage_domestic: int = 25
    baggage_train: int = 10
    time_limit: float = 3.0


def eta(leg: Flight) -> datetime:
    """The best known time of the leg: the estimate when there is one."""
    return leg.estimated_at or leg.scheduled_at


def meeting_point(leg: Flight) -> str:
    """Where the driver meets passengers (arrivals) or drops them (departures)."""
    where = f"{leg.place} {leg.terminal}".strip()
    if leg.kind == "arrival":
        return f"{where} 到达出口 峰会接待台 / arrivals exit, summit desk"
    # Departures from one hotel share a car whichever terminal they fly from (T1 and T2 are
    # next door), so the meeting point names the hub only; each rider's terminal is on the trip.
    return f"酒店大堂 / hotel lobby -> {leg.place}"


def window(leg: Flight, s: Settings) -> tuple[datetime, datetime]:
    """The [lo, hi] window of the vehicle's time at the hub for this leg."""
    t = eta(leg)
    if leg.kind == "arrival":
        if leg.place == STATION:
            bag = s.baggage_train
        else:
            bag = s.baggage_international if leg.international else s.baggage_domestic
        lo = t + timedelta(minutes=bag)
        return lo, max(lo, t + timedelta(minutes=s.max_wait))
    early, late = (
        (60, 30) if leg.place == STATION else (180, 120) if leg.international else (120, 90)
    )
    return t - timedelta(minutes=early), t - timedelta(minutes=late)


def stays_by_attendee(session: Session, attendee_ids: Iterable[int]) -> dict[int, list[Stay]]:
    ids = sorted(set(attendee_ids))
    out: dict[int, list[Stay]] = defaultdict(list)
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = session.scalars(
            select(Stay).where(Stay.attendee_id.in_(chunk), Stay.state != "cancelled")
        )
        for stay in rows:
            out[stay.attendee_id].append(stay)
    for stays in out.values():
        stays.sort(key=lambda s: s.check_in_date)
    return out


def hotel_for(leg: Flight, stays: Sequence[Stay]) -> int | None:
    """The stay that night: checking in on arrival day, checking out on departure day."""
    if not stays:
        return None
    day: date = to_local(eta(leg)).date()
    if leg.kind == "arrival":
        same = [s for s in stays if s.check_in_date <= day < s.check_out_date]
        later = [s for s in stays if s.check_in_date >= day]
        return (same or later or stays)[0].hotel_id
    same = [s for s in stays if s.check_in_date < day <= s.check_out_date]
    return (same or stays)[-1].hotel_id


def build_requests(session: Session, legs: Sequence[Flight], s: Settings) -> list[Request]:
    """One planner request per leg."""
    stays = stays_by_attendee(session, (leg.attendee_id for leg in legs))
    hotels = {h.id: h for h in session.scalars(select(Hotel))}
    ids = sorted({leg.attendee_id for leg in legs})
    vip = set()
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        vip |= set(
            session.scalars(
                select(Attendee.id).where(Attendee.id.in_(chunk), Attendee.category == "vip")
            )
        )
    out = []
    for leg in legs:
        hotel_id = hotel_for(leg, stays.get(leg.attendee_id, []))
        lo, hi = window(leg, s)
        out.append(
            Request(
                key=leg.id,
                attendee_id=leg.attendee_id,
                kind="pickup" if leg.kind == "arrival" else "departure",
                place=leg.place,
                meeting_point=meeting_point(leg),
                hotel_id=hotel_id,
                travel=travel_minutes(hotels.get(hotel_id) if hotel_id else None, leg.place),
                lo=lo,
                hi=hi,
                vip=leg.attendee_id in vip,
            )
        )
    return out


def travel_minutes(hotel: Hotel | None, place: str) -> int:
    """One-way minutes between the hub and the hotel (or the venue)."""
    station = place == STATION
    if hotel is None:
        return VENUE_TRAVEL["station" if station else "airport"]
    return hotel.travel_minutes_station if station else hotel.travel_minutes_airport


def build_resources(session: Session, ignore_trips: Iterable[int] = ()) -> list[Resource]:
    """Every driver with a vehicle; bookings shared per vehicle so neither is double-booked."""
    skip = set(ignore_trips)
    vehicles = {v.id: v for v in session.scalars(select(Vehicle))}
    drivers = session.scalars(
        select(Driver).where(Driver.vehicle_id.is_not(None)).order_by(Driver.id)
    ).all()
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_driver = {d.id: d.vehicle_id for d in drivers}
    trips = session.execute(
        select(Trip.id, Trip.driver_id, Trip.vehicle_id, Trip.starts_at, Trip.ends_at).where(
            Trip.state != "cancelled",
            or_(Trip.driver_id.is_not(None), Trip.vehicle_id.is_not(None)),
        )
    ).all()
    for trip_id, driver_id, vehicle_id, start, end in trips:
        if trip_id in skip:
            continue
        span = (minutes(start), minutes(end))
        for vid in {vehicle_id, by_driver.get(driver_id) if driver_id else None} - {None}:
            busy[vid].append(span)  # type: ignore[index]
    for spans in busy.values():
        spans.sort()
    return [
        Resource(
            driver_id=d.id,
            vehicle_id=d.vehicle_id,  # type: ignore[arg-type]
            capacity=vehicles[d.vehicle_id].capacity,  # type: ignore[index]
            vip_only=vehicles[d.vehicle_id].vip_only,  # type: ignore[index]
            shift_start=d.shift_start,
            shift_end=d.shift_end,
            busy=busy[d.vehicle_id],  # type: ignore[index]
        )
        for d in drivers
    ]
