"""The transfer planner: pure functions from passenger requests and drivers to trips.

Two stages. (1) Loads: requests are split into segments that may share a vehicle (same kind,
hub, meeting point and hotel; each VIP alone) and grouped by `batching.make_loads` (CP-SAT per
cluster, greedy fallback, one overall time limit). (2) Vehicles: loads in time order take the
smallest free vehicle they fit, with its driver, inside the driver's shift and without
overlapping anything already booked; a load may slide inside its members' windows to find a
free vehicle, and is split when no vehicle is big enough. What still finds no vehicle is
returned as `unplanned`, never silently dropped. A trip books its vehicle for the round trip
between the hub and the hotel.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from transport.batching import BatchStats, Load, Window, make_loads
from transport.kerb import Guest, ServiceLevel, plan_segments
from transport.sharing import Sharing

ORIGIN = datetime(2000, 1, 1)


def minutes(value: datetime) -> int:
    """Whole minutes since ORIGIN (the planner's time axis)."""
    return int((value - ORIGIN).total_seconds() // 60)


def at_minute(value: int) -> datetime:
    return ORIGIN + timedelta(minutes=value)


@dataclass(frozen=True)
class Request:
    """One passenger leg to plan; `lo`/`hi` bound the vehicle's time at the hub."""

    key: int  # the flight (leg) id
    attendee_id: int
    kind: str  # pickup | departure
    place: str
    meeting_point: str
    hotel_id: int | None  # None: the venue
    travel: int  # minutes between hub and hotel
    lo: datetime
    hi: datetime
    vip: bool = False  # rides alone (a VIP car first), never waits past the kerb level
    first: bool = False  # never waits past the kerb level, may share (speakers)


@dataclass
class Resource:
    """A driver with their vehicle, and the time already booked."""

    driver_id: int
    vehicle_id: int
    capacity: int
    vip_only: bool
    shift_start: datetime
    shift_end: datetime
    busy: list[tuple[int, int]] = field(default_factory=list)  # sorted minute intervals

    def free(self, start: int, end: int) -> bool:
        """True when [start, end) lies in the shift and overlaps no booking."""
        if start < minutes(self.shift_start) or end > minutes(self.shift_end):
            return False
        i = bisect.bisect_left(self.busy, (start, start))
        if i < len(self.busy) and self.busy[i][0] < end:
            return False
        return not (i > 0 and self.busy[i - 1][1] > start)

    def book(self, start: int, end: int) -> None:
        bisect.insort(self.busy, (start, end))


@dataclass(frozen=True)
class PlannedTrip:
    kind: str
    place: str
    meeting_point: str
    hotel_id: int | None
    at: datetime  # leaves the hub (pickup) or drops off at the hub (departure)
    starts_at: datetime
    ends_at: datetime
    driver_id: int
    vehicle_id: int
    keys: tuple[int, ...]
    stops: tuple[int, ...] = ()  # hotels in visiting order when the trip serves several


@dataclass
class Plan:
    trips: list[PlannedTrip]
    unplanned: list[Request]
    seconds: float
    stats: BatchStats


@dataclass(frozen=True)
class _Job:
    requests: tuple[Request, ...]
    at: int
    lo: int  # the load may slide inside [lo, hi]
    hi: int
    sharing: Sharing | None = None

    def stops(self) -> tuple[int, ...]:
        """Hotels in visiting order (several only with sharing): pickups nearest first."""
        hotels = {r.hotel_id for r in self.requests if r.hotel_id is not None}
        if self.sharing is None or len(hotels) < 2:
            return ()
        order = self.sharing.order(_direct(self.requests), list(hotels))
        return tuple(order if self.requests[0].kind == "pickup" else reversed(order))

    def drive(self) -> int:
        """Minutes the vehicle is booked: hub -> hotel(s) -> hub."""
        hotels = {r.hotel_id for r in self.requests if r.hotel_id is not None}
        if self.sharing is None or len(hotels) < 2:
            return 2 * max(r.travel for r in self.requests)
        direct = _direct(self.requests)
        return self.sharing.route(direct, self.sharing.order(direct, list(hotels)))


def _direct(requests: Sequence[Request]) -> dict[int, int]:
    return {r.hotel_id: r.travel for r in requests if r.hotel_id is not None}


def plan(
    requests: Sequence[Request],
    resources: Sequence[Resource],
    time_limit: float = 3.0,
    service: ServiceLevel | None = None,
    sharing: Sharing | None = None,
) -> Plan:
    """Group requests into loads and give each load a free driver and vehicle.

    With a `service` level, loads come from `transport.kerb` (kerb wait as the objective, then
    vehicle hours); without, from `batching.make_loads` (fewest loads, then least waiting).
    With `sharing` (and a service level), hotels of one zone share cars (`transport.sharing`).
    """
    started = time.monotonic()
    stats = BatchStats()
    capacity = max((r.capacity for r in resources if not r.vip_only), default=1)
    deadline = started + time_limit * 0.8
    if service is None:
        jobs = _jobs(requests, capacity, deadline, stats)
    else:
        requests = [_capped(r, service.cap) for r in requests]  # binds the last resort too
        jobs = _kerb_jobs(requests, capacity, service, stats, sharing)
    trips: list[PlannedTrip] = []
    unplanned: list[Request] = []
    ordered = sorted(resources, key=lambda r: (r.capacity, r.driver_id))
    for job in sorted(jobs, key=lambda j: (j.at, j.requests[0].key)):
        _place(job, ordered, trips, unplanned)
    seats = {r.driver_id: r.capacity for r in resources}
    unplanned = _squeeze(unplanned, trips, {r.key: r for r in requests}, seats)
    return Plan(trips, unplanned, time.monotonic() - started, stats)


def _squeeze(
    stranded: list[Request],
    trips: list[PlannedTrip],
    by_key: dict[int, Request],
    seats: dict[int, int],
) -> list[Request]:
    """Last resort for who found no car: a free seat in a trip going their way at their time."""
    left = []
    for r in stranded:
        spot = next((i for i, t in enumerate(trips) if _room_for(r, t, by_key, seats)), None)
        if spot is None:
            left.append(r)
        else:
            trips[spot] = replace(trips[spot], keys=(*trips[spot].keys, r.key))
    return left


def _room_for(
    r: Request, t: PlannedTrip, by_key: dict[int, Request], seats: dict[int, int]
) -> bool:
    same_way = (t.kind, t.place, t.meeting_point, t.hotel_id) == (
        r.kind,
        r.place,
        r.meeting_point,
        r.hotel_id,
    )
    return (
        same_way
        and not r.vip
        and not by_key[t.keys[0]].vip
        and len(t.keys) < seats[t.driver_id]
        and r.lo <= t.at <= r.hi
        and timedelta(minutes=2 * r.travel) <= t.ends_at - t.starts_at  # booked long enough
    )


def _jobs(
    requests: Sequence[Request], capacity: int, deadline: float, stats: BatchStats
) -> list[_Job]:
    jobs: list[_Job] = []
    for members in _segments(requests):
        windows = [Window(i, minutes(r.lo), minutes(r.hi)) for i, r in enumerate(members)]
        for load in make_loads(windows, capacity, deadline, stats):
            jobs.append(_job_of(load, members, windows))
    return jobs


def _segments(requests: Sequence[Request], sharing: Sharing | None = None) -> list[list[Request]]:
    zone_of: dict[tuple[object, ...], int | None] = {}
    if sharing is not None:
        ways: dict[tuple[str, str, str], dict[int, int]] = defaultdict(dict)
        for r in requests:
            if r.hotel_id is not None and not (r.vip and sharing.direct_vip):
                ways[(r.kind, r.place, r.meeting_point)][r.hotel_id] = r.travel
        for way, direct in ways.items():
            for zone in sharing.zones(direct):
                for h in zone:
                    zone_of[(*way, h)] = zone[0]
    segments: dict[tuple[object, ...], list[Request]] = defaultdict(list)
    for r in requests:
        alone = ("vip", r.key) if r.vip else ()
        where = zone_of.get((r.kind, r.place, r.meeting_point, r.hotel_id), r.hotel_id)
        segments[(r.kind, r.place, r.meeting_point, where, *alone)].append(r)
    return [members for _key, members in sorted(segments.items(), key=lambda kv: str(kv[0]))]


def _capped(r: Request, cap: int | None) -> Request:
    if cap is None or r.kind != "pickup" or r.hi <= r.lo + timedelta(minutes=cap):
        return r
    return replace(r, hi=r.lo + timedelta(minutes=cap))


def _guest(i: int, r: Request, service: ServiceLevel) -> Guest:
    lo, hi = minutes(r.lo), minutes(r.hi)
    if r.kind != "pickup":  # departures: the window is the rule, no kerb level
        return Guest(i, lo, hi, hi)
    tight = min(hi, lo + service.level)
    return Guest(i, lo, tight, tight if r.vip or r.first else hi)


def _kerb_jobs(
    requests: Sequence[Request],
    capacity: int,
    service: ServiceLevel,
    stats: BatchStats,
    sharing: Sharing | None = None,
) -> list[_Job]:
    segments = _segments(requests, sharing)
    budget = service.late_budget(sum(r.kind == "pickup" for r in requests))
    inputs = [
        (
            _Job(tuple(members), 0, 0, 0, sharing).drive(),
            [_guest(i, r, service) for i, r in enumerate(members)],
        )
        for members in segments
    ]
    planned = plan_segments(inputs, capacity, service, budget, stats)
    return [
        part
        for members, trips in zip(segments, planned, strict=True)
        for trip in trips
        for part in _fair(
            _Job(tuple(members[i] for i in trip.members), trip.at, trip.lo, trip.hi, sharing)
        )
    ]


def _fair(job: _Job) -> list[_Job]:
    """The job, or one job per hotel when its route breaks someone's ride bound (a zone is fair
    as a whole, but skipping a stop may lengthen a ride when the given hub minutes and the
    positions disagree)."""
    stops = job.stops()
    if job.sharing is None or not stops:
        return [job]
    direct = _direct(job.requests)
    if job.sharing.fair(direct, job.sharing.order(direct, list(stops))):
        return [job]
    return [replace(job, requests=tuple(r for r in job.requests if r.hotel_id == h)) for h in stops]


def _job_of(load: Load, members: list[Request], windows: list[Window]) -> _Job:
    chosen = tuple(members[i] for i in load.members)
    lo = max(windows[i].lo for i in load.members)
    hi = min(windows[i].hi for i in load.members)
    return _Job(chosen, load.at, lo, hi)


def _span(job: _Job, at: int) -> tuple[int, int]:
    """Minutes the vehicle is booked: a round trip after (pickup) or before (departure) `at`."""
    trip = job.drive()
    return (at, at + trip) if job.requests[0].kind == "pickup" else (at - trip, at)


def _candidate_times(job: _Job, res: Resource) -> list[int]:
    """`at` first, then the times right after (or before) each booking, inside the window."""
    times = [job.at]
    trip = job.drive()
    for start, end in res.busy:
        times.append(end if job.requests[0].kind == "pickup" else start)
        times.append(start - trip if job.requests[0].kind == "pickup" else end + trip)
    return sorted({t for t in times if job.lo <= t <= job.hi}, key=lambda t: (abs(t - job.at), t))


def _fits(job: _Job, res: Resource) -> bool:
    vip = job.requests[0].vip
    return res.capacity >= len(job.requests) and (vip or not res.vip_only)


def _choose(job: _Job, resources: Sequence[Resource]) -> tuple[Resource, int] | None:
    fitting = [r for r in resources if _fits(job, r)]
    if job.requests[0].vip:  # VIP cars first for VIPs
        fitting.sort(key=lambda r: (not r.vip_only, r.capacity, r.driver_id))
    for res in fitting:
        if res.free(*_span(job, job.at)):
            return res, job.at
    best: tuple[int, Resource, int] | None = None
    for res in fitting:
        for t in _candidate_times(job, res):
            if res.free(*_span(job, t)):
                if best is None or abs(t - job.at) < best[0]:
                    best = (abs(t - job.at), res, t)
                break
    return (best[1], best[2]) if best else None


def _place(
    job: _Job, resources: Sequence[Resource], trips: list[PlannedTrip], unplanned: list[Request]
) -> None:
    found = _choose(job, resources)
    if found is None:
        if len(job.requests) == 1:
            unplanned.append(job.requests[0])
            return
        half = len(job.requests) // 2
        for part in (job.requests[:half], job.requests[half:]):
            _place(_Job(part, job.at, job.lo, job.hi, job.sharing), resources, trips, unplanned)
        return
    res, at = found
    start, end = _span(job, at)
    res.book(start, end)
    first, stops = job.requests[0], job.stops()
    trips.append(
        PlannedTrip(
            kind=first.kind,
            place=first.place,
            meeting_point=first.meeting_point,
            hotel_id=stops[0] if stops else first.hotel_id,
            at=at_minute(at),
            starts_at=at_minute(start),
            ends_at=at_minute(end),
            driver_id=res.driver_id,
            vehicle_id=res.vehicle_id,
            keys=tuple(r.key for r in job.requests),
            stops=stops,
        )
    )
