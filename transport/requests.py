"""From stored legs, stays and drivers to the planner's plain inputs (Request, Resource).

The rules that turn a flight into a window live here, in one place:
- pickup: the car may leave once baggage is out (international 40 min, domestic 25, train 10)
  and must leave by `max_wait` minutes after landing (60 by default, baggage included);
- departure: drop-off 3 h to 2 h before an international flight, 2 h to 1.5 h before a
  domestic one, 1 h to 30 min before a train.
The destination is the hotel of the attendee's stay for that night; an attendee with no stay
goes to (or comes from) the venue, whose travel times are VENUE_TRAVEL.

`read_unplanned` (bulk planning) and `read_replan` (re-planning) gather everything a solve
needs as plain values, with a marker that is equal on a second read exactly when the solve's
inputs are unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import to_local
from models.attendee import Attendee
from models.hotel import Hotel, Stay
from models.transport import Driver, Flight, Trip, TripPassenger, Vehicle
from transport.kerb import ServiceLevel
from transport.planner import Request, Resource, minutes

STATION = "FZS"
VENUE_TRAVEL = {"airport": 50, "station": 30}  # Fuzhou Strait International Conference Center
PLACE_NAMES = {"FOC": "福州长乐国际机场 Changle Airport", "FZS": "福州南站 Fuzhou South"}
OPEN_STATES = ("planned", "assigned", "accepted")  # planning may still change these


@dataclass(frozen=True)
class Settings:
    """Planner rules that an organiser may tune (minutes)."""

    max_wait: int = 60
    baggage_international: int = 40
    baggage_domestic: int = 25
    baggage_train: int = 10
    time_limit: float = 3.0
    # Kerb wait (from ready, i.e. landing + baggage, until the car leaves): `kerb_share` of the
    # guests wait at most `kerb_level` min, nobody past `kerb_cap` (None: only `max_wait`).
    kerb_level: int = 35
    kerb_share: float = 0.95
    kerb_cap: int | None = None
    # Trips serving several hotels (hotels with a position), each ride <= ride_factor x direct.
    share_trips: bool = True
    ride_factor: float = 1.5

    def service(self) -> ServiceLevel:
        return ServiceLevel(level=self.kerb_level, share=self.kerb_share, cap=self.kerb_cap)


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


def window(leg: Flight, s: Settings, at: datetime | None = None) -> tuple[datetime, datetime]:
    """The [lo, hi] window of the vehicle's time at the hub for this leg (at time `at` if given)."""
    t = at or eta(leg)
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


def hotel_for(leg: Flight, stays: Sequence[Stay], at: datetime | None = None) -> int | None:
    """The stay that night: checking in on arrival day, checking out on departure day."""
    if not stays:
        return None
    day: date = to_local(at or eta(leg)).date()
    if leg.kind == "arrival":
        same = [s for s in stays if s.check_in_date <= day < s.check_out_date]
        later = [s for s in stays if s.check_in_date >= day]
        return (same or later or stays)[0].hotel_id
    same = [s for s in stays if s.check_in_date < day <= s.check_out_date]
    return (same or stays)[-1].hotel_id


def build_requests(
    session: Session,
    legs: Sequence[Flight],
    s: Settings,
    etas: Mapping[int, datetime] | None = None,
) -> list[Request]:
    """One planner request per leg; `etas` (leg id -> time) overrides stored estimates."""
    stays = stays_by_attendee(session, (leg.attendee_id for leg in legs))
    hotels = {h.id: h for h in session.scalars(select(Hotel))}
    ids = sorted({leg.attendee_id for leg in legs})
    category: dict[int, str] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(select(Attendee.id, Attendee.category).where(Attendee.id.in_(chunk)))
        category.update((attendee_id, kind) for attendee_id, kind in rows)
    out = []
    for leg in legs:
        at = (etas or {}).get(leg.id)
        hotel_id = hotel_for(leg, stays.get(leg.attendee_id, []), at)
        lo, hi = window(leg, s, at)
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
                vip=category.get(leg.attendee_id) == "vip",
                first=category.get(leg.attendee_id) == "speaker",
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


def bookings(resources: Iterable[Resource]) -> tuple[object, ...]:
    """Every driver, vehicle, shift and booking as plain values: part of a solve's marker."""
    return tuple(
        (
            r.driver_id,
            r.vehicle_id,
            r.capacity,
            r.vip_only,
            r.shift_start,
            r.shift_end,
            tuple(r.busy),
        )
        for r in resources
    )


@dataclass(frozen=True)
class UnplannedInput:
    """What bulk planning reads: requests for the legs of one kind without a trip, resources.

    `marker` is compared after the solve (as in `ReplanInput`): the requests (which legs, their
    windows and hotels) and every booking of every vehicle. A leg planned meanwhile by someone
    else leaves the requests, so the marker changes.
    """

    requests: tuple[Request, ...]
    resources: tuple[Resource, ...]
    legs: int  # legs without a trip, past ones included
    marker: tuple[object, ...]


def read_unplanned(
    session: Session, kind: str, s: Settings, *, day: date | None, now: datetime
) -> UnplannedInput:
    """Legs of `kind` with no trip (landing or leaving on local `day` if given), not yet past."""
    planned = select(TripPassenger.flight_id)
    legs = session.scalars(
        select(Flight).where(Flight.kind == kind, Flight.id.not_in(planned)).order_by(Flight.id)
    ).all()
    if day is not None:
        legs = [leg for leg in legs if to_local(eta(leg)).date() == day]
    future = [leg for leg in legs if window(leg, s)[1] >= now]
    requests = tuple(build_requests(session, future, s))
    resources = tuple(build_resources(session))
    return UnplannedInput(requests, resources, len(legs), (requests, bookings(resources)))


@dataclass(frozen=True)
class ReplanInput:
    """What re-planning some legs reads, as plain values: the solve needs no session.

    `resources` are the solver's to book into. `marker` is compared after the solve: the plan
    is applied only if a fresh read gives an equal one, i.e. the solve's own inputs (requests,
    every booking of every vehicle, the reopened trips and the legs' times) are unchanged.
    """

    requests: tuple[Request, ...]
    resources: tuple[Resource, ...]
    reopened: tuple[int, ...]  # open trips whose passengers are planned again (reused or cancelled)
    released: tuple[int, ...]  # their trip_passenger rows, removed when the plan is applied
    marker: tuple[object, ...]

    @property
    def kind(self) -> str:
        return self.requests[0].kind if self.requests else "departure"


def read_replan(
    session: Session,
    leg_ids: Sequence[int],
    s: Settings,
    etas: Mapping[int, datetime] | None = None,
    *,
    lock: bool = False,
    dropping: Sequence[int] = (),
) -> ReplanInput:
    """The open trips carrying these legs, the legs to plan again, requests and resources.

    `lock=True` (in the writing transaction) locks the legs and trips on PostgreSQL so that the
    marker checked stays true until commit; SQLite's write lock already covers it. `dropping`
    (trip_passenger ids, e.g. no-show seats of a closed trip) are seats read as already gone:
    their legs are planned again and the seats removed with the released ones.
    """
    watched = select(Flight).where(Flight.id.in_(leg_ids)).order_by(Flight.id)
    legs_read = session.scalars(watched.with_for_update() if lock else watched).all()
    seats = [
        tp
        for tp in session.scalars(select(TripPassenger).where(TripPassenger.flight_id.in_(leg_ids)))
        if tp.id not in dropping
    ]
    open_trips = select(Trip).where(
        Trip.id.in_({tp.trip_id for tp in seats}), Trip.state.in_(OPEN_STATES)
    )
    trips = session.scalars(
        (open_trips.with_for_update() if lock else open_trips).order_by(Trip.id)
    ).all()
    open_ids = {t.id for t in trips}
    locked = {tp.flight_id for tp in seats if tp.trip_id not in open_ids}
    released = session.scalars(
        select(TripPassenger).where(TripPassenger.trip_id.in_(open_ids)).order_by(TripPassenger.id)
    ).all()
    free = {tp.flight_id for tp in released} | (set(leg_ids) - locked)
    legs = session.scalars(select(Flight).where(Flight.id.in_(free)).order_by(Flight.id)).all()
    requests = tuple(build_requests(session, legs, s, etas))
    resources = tuple(build_resources(session, open_ids))
    marker = (
        requests,
        bookings(resources),
        tuple((t.id, t.version, t.state, t.driver_id) for t in trips),
        tuple((tp.id, tp.trip_id, tp.flight_id) for tp in released),
        tuple((f.id, f.scheduled_at, f.estimated_at, f.landed_at) for f in legs_read),
        tuple(sorted(dropping)),
    )
    gone = tuple(tp.id for tp in released) + tuple(sorted(dropping))
    return ReplanInput(requests, resources, tuple(sorted(open_ids)), gone, marker)
