"""Promised trips after a flight's time changed: which still work, who must move, and whether a
wider re-plan is better for everyone affected (plain values; the flow is `transport.delays`).

A *promise* is a guest's seat in an open trip at its hub time. After a new estimate:
- a delayed guest whose trip still works (ready before it leaves, within the landing limit, the
  kerb cap, and the kerb level for VIPs and speakers) keeps it: nothing changes for anyone;
- a delayed guest whose trip no longer works leaves it, alone: a free seat in a stored trip
  going their way within the kerb level, else the kerb planner with the free cars, else any free
  seat in their window. Their trip-mates keep their car and their time (a trip left empty is
  cancelled, its car free for the planner);
- the wider re-plan (every rider of the trips touched, planned again together, as before) is
  solved too and taken only if no affected guest's kerb wait gets longer (or loses their ride)
  and at least one gets shorter.
The decision (kept, moved, the wider plan accepted or refused and why) goes into the report the
API returns and into the console's `flight_estimate_changed` event.

Both solves run with no transaction open; the chosen plan is written in the session's next
transaction only if a fresh read gives the same marker (docs/architecture.md, "Transactions").
Kerb wait: pickups from ready until the car leaves the hub; departures from drop-off at the hub
until the latest drop-off the rule allows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.attendee import Attendee
from models.transport import Trip, TripPassenger, Vehicle
from transport.batching import BatchStats
from transport.planner import Plan, Request, Resource, plan
from transport.requests import (
    OPEN_STATES,
    ReplanInput,
    Settings,
    bookings,
    build_resources,
    read_replan,
)
from transport.sharing import Sharing


@dataclass(frozen=True)
class FreeSeat:
    """An open trip with room, as plain values (one hotel; no VIP aboard)."""

    trip_id: int
    way: tuple[str, str, str, int | None]  # kind, place, meeting point, hotel
    hub_at: datetime
    free: int


@dataclass(frozen=True)
class DelayInput:
    """What a delay re-plan reads: the wider job, the promises, who must move, free seats."""

    wide: ReplanInput  # every rider of the open trips carrying the legs, planned again
    promised: tuple[tuple[int, int, datetime], ...]  # (leg, trip, hub time) of those riders
    moved: tuple[Request, ...]  # delayed legs whose trip no longer works, or with none
    resources: tuple[Resource, ...]  # the fleet with every booking but the emptied trips'
    seats: tuple[FreeSeat, ...]
    marker: tuple[object, ...]

    def emptied(self) -> set[int]:
        """Trips every rider of which moves."""
        gone = {r.key for r in self.moved}
        riders: dict[int, set[int]] = {}
        for leg, trip, _at in self.promised:
            riders.setdefault(trip, set()).add(leg)
        return {t for t, legs in riders.items() if legs <= gone}


@dataclass
class Decision:
    """What the delay re-plan did and why (attendee ids), for the API and the console."""

    kept: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    wider: str = "not_needed"  # accepted | refused | not_needed
    longer: list[int] = field(default_factory=list)  # whose wait the wider plan lengthens
    shorter: list[int] = field(default_factory=list)  # whose wait it shortens
    reason: str = ""
    reason_zh: str = ""


def latest(r: Request, s: Settings) -> datetime:
    """The latest hub time that keeps the guest within their limits."""
    hi = r.hi
    if r.kind == "pickup" and s.kerb_cap is not None:
        hi = min(hi, r.lo + timedelta(minutes=s.kerb_cap))
    if r.kind == "pickup" and (r.vip or r.first):
        hi = min(hi, r.lo + timedelta(minutes=s.kerb_level))
    return hi


def wait(r: Request, hub_at: datetime) -> int:
    """Kerb minutes: pickups from ready to leaving; departures from drop-off to the latest."""
    span = hub_at - r.lo if r.kind == "pickup" else r.hi - hub_at
    return int(span.total_seconds() // 60)


def read_delay(
    session: Session,
    leg_ids: Sequence[int],
    s: Settings,
    etas: Mapping[int, datetime],
    *,
    lock: bool = False,
) -> DelayInput:
    wide = read_replan(session, leg_ids, s, etas, lock=lock)
    rows = session.execute(
        select(TripPassenger.flight_id, Trip.id, Trip.kind, Trip.starts_at, Trip.ends_at)
        .join(Trip, Trip.id == TripPassenger.trip_id)
        .where(Trip.id.in_(wide.reopened))
        .order_by(TripPassenger.flight_id)
    ).all()
    promised = tuple(
        (leg, trip, start if kind == "pickup" else end) for leg, trip, kind, start, end in rows
    )
    at = {leg: hub for leg, _trip, hub in promised}
    delayed = set(leg_ids)
    moved = tuple(
        r
        for r in wide.requests
        if r.key not in at or (r.key in delayed and not r.lo <= at[r.key] <= latest(r, s))
    )
    partial = DelayInput(wide, promised, moved, (), (), ())
    resources = tuple(build_resources(session, partial.emptied()))
    seats = tuple(_free_seats(session, moved, set(wide.reopened)))  # not the trips touched
    marker = (wide.marker, moved, bookings(resources), seats)
    return DelayInput(wide, promised, moved, resources, seats, marker)


def _free_seats(session: Session, moved: Sequence[Request], skip: set[int]) -> list[FreeSeat]:
    """Open one-hotel trips going the moved guests' way in their windows, with room."""
    if all(r.vip for r in moved):  # none, or VIPs only: they ride alone
        return []
    lo, hi = min(r.lo for r in moved), max(r.hi for r in moved)
    trips = session.scalars(
        select(Trip)
        .where(
            Trip.state.in_(OPEN_STATES),
            Trip.kind.in_({r.kind for r in moved}),
            Trip.stops.is_(None),
            Trip.id.not_in(skip),
            Trip.starts_at <= hi,
            Trip.ends_at >= lo,
        )
        .order_by(Trip.id)
    ).all()
    if not trips:
        return []
    ids = [t.id for t in trips]
    riders = Counter(
        dict(
            session.execute(
                select(TripPassenger.trip_id, func.count())
                .where(TripPassenger.trip_id.in_(ids))
                .group_by(TripPassenger.trip_id)
            ).all()
        )
    )
    vip_trips = set(
        session.scalars(
            select(TripPassenger.trip_id)
            .join(Attendee, Attendee.id == TripPassenger.attendee_id)
            .where(TripPassenger.trip_id.in_(ids), Attendee.category == "vip")
        )
    )
    capacity: dict[int | None, int] = dict(
        session.execute(select(Vehicle.id, Vehicle.capacity)).all()
    )
    return [
        FreeSeat(
            t.id,
            (t.kind, t.place, t.meeting_point, t.hotel_id),
            t.starts_at if t.kind == "pickup" else t.ends_at,
            capacity.get(t.vehicle_id, 0) - riders[t.id],
        )
        for t in trips
        if t.id not in vip_trips and capacity.get(t.vehicle_id, 0) > riders[t.id]
    ]


def _seat_in(
    r: Request, seats: Sequence[FreeSeat], room: Counter[int], until: datetime
) -> FreeSeat | None:
    """The free seat going r's way that leaves soonest after r is ready, by `until`."""
    fits = [
        f
        for f in seats
        if f.way == (r.kind, r.place, r.meeting_point, r.hotel_id)
        and room[f.trip_id] > 0
        and r.lo <= f.hub_at <= until
        and not r.vip
    ]
    return min(fits, key=lambda f: (wait(r, f.hub_at), f.trip_id), default=None)


@dataclass
class Solved:
    """The narrow plan (free seats, then the planner) and the wider one, with the decision."""

    seated: dict[int, FreeSeat]  # leg -> stored trip it joins
    narrow: Plan
    wide: Plan | None
    decision: Decision


def solve(job: DelayInput, s: Settings, shared: Sharing | None) -> Solved:
    """Both plans and the choice between them: plain values, no session."""
    room: Counter[int] = Counter({f.trip_id: f.free for f in job.seats})
    seated: dict[int, FreeSeat] = {}
    for r in job.moved:  # a free seat within the kerb level costs no car
        seat = _seat_in(
            r, job.seats, room, min(latest(r, s), r.lo + timedelta(minutes=s.kerb_level))
        )
        if seat is not None:
            seated[r.key], room[seat.trip_id] = seat, room[seat.trip_id] - 1
    rest = [r for r in job.moved if r.key not in seated]
    narrow = _plan(rest, job.resources, s, shared)
    for r in list(narrow.unplanned):  # no car: any free seat in their window
        seat = _seat_in(r, job.seats, room, latest(r, s))
        if seat is not None:
            seated[r.key], room[seat.trip_id] = seat, room[seat.trip_id] - 1
            narrow.unplanned.remove(r)
    hub: dict[int, datetime | None] = {leg: at for leg, _t, at in job.promised}
    hub.update({r.key: None for r in job.moved})
    hub.update({k: f.hub_at for k, f in seated.items()})
    hub.update({k: t.at for t in narrow.trips for k in t.keys})
    by_key = {r.key: r for r in job.wide.requests}
    moved = {r.key for r in job.moved}
    decision = Decision(
        kept=sorted(by_key[k].attendee_id for k in hub if k not in moved),
        moved=sorted(r.attendee_id for r in job.moved),
    )
    wide = None
    if job.promised:  # a wider plan exists only when some trip is touched
        wide = _plan(list(job.wide.requests), job.wide.resources, s, shared)
        wide_hub: dict[int, datetime | None] = dict.fromkeys(by_key)
        wide_hub.update({k: t.at for t in wide.trips for k in t.keys})
        _compare(decision, by_key, hub, wide_hub)
    _explain(decision)
    return Solved(seated, narrow, wide, decision)


def _plan(
    requests: Sequence[Request], resources: Sequence[Resource], s: Settings, shared: Sharing | None
) -> Plan:
    if not requests:
        return Plan([], [], 0.0, BatchStats())
    return plan(requests, resources, s.time_limit, s.service(), shared)


def _compare(
    d: Decision,
    by_key: Mapping[int, Request],
    narrow: Mapping[int, datetime | None],
    wide: Mapping[int, datetime | None],
) -> None:
    """Accept the wider plan iff nobody's wait grows (nor ride is lost) and someone's shrinks."""
    for key, r in by_key.items():
        n, w = narrow.get(key), wide.get(key)
        if n is None or w is None:  # a lost ride is the longest wait; a found one, shorter
            worse, better = w is None and n is not None, n is None and w is not None
        else:
            worse, better = wait(r, w) > wait(r, n), wait(r, w) < wait(r, n)
        if worse:
            d.longer.append(r.attendee_id)
        elif better:
            d.shorter.append(r.attendee_id)
    d.longer.sort()
    d.shorter.sort()
    d.wider = "accepted" if d.shorter and not d.longer else "refused"


def _explain(d: Decision) -> None:
    if d.wider == "accepted":
        d.reason = (
            f"a wider re-plan shortens the kerb wait of {len(d.shorter)} guests, lengthens none"
        )
        d.reason_zh = f"整体重排缩短 {len(d.shorter)} 位嘉宾的候车时间，且无人更久"
    elif d.longer:
        d.reason = (
            "promised pickups kept: a wider re-plan would lengthen the kerb wait of"
            f" {len(d.longer)} guests; {len(d.moved)} guests whose trip no longer works"
            " were moved alone"
        )
        d.reason_zh = (
            f"保留已承诺的接送：整体重排会让 {len(d.longer)} 位嘉宾候车更久；"
            f"仅改派无法赶上原车的 {len(d.moved)} 位嘉宾"
        )
    else:
        d.reason = (
            f"promised pickups kept: no wider re-plan shortens anyone's kerb wait;"
            f" {len(d.moved)} guests whose trip no longer works were moved alone"
        )
        d.reason_zh = (
            f"保留已承诺的接送：整体重排不能缩短任何人的候车时间；"
            f"仅改派无法赶上原车的 {len(d.moved)} 位嘉宾"
        )
