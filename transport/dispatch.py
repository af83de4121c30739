"""What an airport desk does without a planner: the baselines the planner must beat.

- `dispatch_hold(hold)`: first come, first served. When the first waiting guest of a hotel is
  ready, the desk calls the largest free vehicle (the one that soonest becomes free if none is);
  it takes the guests for that hotel who are ready within `hold` minutes of the first (or by
  the time it arrives, if later), up to its seats, and leaves when the last of them is ready:
  the desk reads the arrivals board, so it never holds a car for nobody. VIPs leave alone at
  once, in a VIP car when one is free.
- `dispatch_flights`: per-flight batching. The guests of one flight (same hub, hotel and ready
  time) leave together as soon as they are ready, in the smallest free vehicle that takes them
  all (else the largest, and the rest in the next).
Both are simulations on the same `Request`/`Resource` values as the planner, so they are
measured on the same instance and travel times. Vehicles are booked for the hub <-> hotel
round trip from the time they are called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from transport.planner import PlannedTrip, Request, Resource, at_minute, minutes


def _segment(r: Request) -> tuple[object, ...]:
    return (r.kind, r.place, r.meeting_point, r.hotel_id, ("vip", r.key) if r.vip else ())


class _Fleet:
    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = list(resources)
        self.free_at = {r.driver_id: minutes(r.shift_start) for r in resources}

    def call(self, first: Request, ready: int, largest: bool, need: int) -> tuple[Resource, int]:
        """The vehicle for `first` and when it is at the kerb (>= ready); inside its shift."""
        usable = [
            r
            for r in self.resources
            if (first.vip or not r.vip_only) and minutes(r.shift_end) > ready
        ]
        if first.vip:
            usable.sort(key=lambda r: not r.vip_only)
        free = [r for r in usable if self.free_at[r.driver_id] <= ready]
        if free:
            if largest:
                res = max(free, key=lambda r: (r.vip_only == first.vip, r.capacity, -r.driver_id))
            else:
                fits = [r for r in free if r.capacity >= need]
                res = (
                    min(fits, key=lambda r: (r.capacity, r.driver_id))
                    if fits
                    else max(free, key=lambda r: (r.capacity, -r.driver_id))
                )
            return res, ready
        res = min(usable, key=lambda r: (self.free_at[r.driver_id], -r.capacity, r.driver_id))
        return res, self.free_at[res.driver_id]

    def trip(self, res: Resource, riders: list[Request], leave: int, called: int) -> PlannedTrip:
        span = 2 * max(r.travel for r in riders)
        self.free_at[res.driver_id] = leave + span
        first = riders[0]
        return PlannedTrip(
            first.kind,
            first.place,
            first.meeting_point,
            first.hotel_id,
            at_minute(leave),
            at_minute(called),
            at_minute(leave + span),
            res.driver_id,
            res.vehicle_id,
            tuple(r.key for r in riders),
        )


def dispatch_hold(
    requests: Sequence[Request], resources: Sequence[Resource], hold: int
) -> list[PlannedTrip]:
    """First come, first served into the largest free vehicle, held up to `hold` minutes."""
    queues: dict[tuple[object, ...], list[Request]] = defaultdict(list)
    for r in sorted(requests, key=lambda r: (r.lo, r.key)):
        queues[_segment(r)].append(r)
    fleet = _Fleet(resources)
    trips: list[PlannedTrip] = []
    heads = {seg: 0 for seg in queues}
    while heads:
        seg = min(heads, key=lambda s: (queues[s][heads[s]].lo, queues[s][heads[s]].key))
        queue, i = queues[seg], heads[seg]
        first = queue[i]
        ready = minutes(first.lo)
        res, called = fleet.call(first, ready, largest=True, need=1)
        latest = max(called, ready + (0 if first.vip else hold))
        riders = [r for r in queue[i : i + res.capacity] if minutes(r.lo) <= latest]
        leave = max(called, minutes(riders[-1].lo))  # the desk knows who lands within the hold
        trips.append(fleet.trip(res, riders, leave, called))
        heads[seg] = i + len(riders)
        if heads[seg] >= len(queue):
            del heads[seg]
    return trips


def dispatch_flights(
    requests: Sequence[Request], resources: Sequence[Resource]
) -> list[PlannedTrip]:
    """Per-flight batching: each flight's guests for one hotel leave together when ready."""
    groups: dict[tuple[object, ...], list[Request]] = defaultdict(list)
    for r in sorted(requests, key=lambda r: (r.lo, r.key)):
        groups[(*_segment(r), r.lo)].append(r)
    fleet = _Fleet(resources)
    trips: list[PlannedTrip] = []
    for _key, group in sorted(groups.items(), key=lambda kv: (kv[1][0].lo, kv[1][0].key)):
        left = list(group)
        while left:
            res, called = fleet.call(left[0], minutes(left[0].lo), largest=False, need=len(left))
            riders, left = left[: res.capacity], left[res.capacity :]
            trips.append(fleet.trip(res, riders, called, called))
    return trips
