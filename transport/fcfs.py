"""First-come-first-served dispatch: the baseline the planner is measured against.

How an airport desk works without a planner: passengers are served in the order they are ready;
the first waiting passenger gets the first driver who is free (any vehicle they may use), who
leaves at once with everyone already waiting for the same hotel, up to the vehicle's capacity.
Nobody is held back to fill a car, and nobody is refused: when the fleet is short, people wait.
"""

from __future__ import annotations

from collections.abc import Sequence

from transport.planner import PlannedTrip, Request, Resource, at_minute, minutes


def _segment(r: Request) -> tuple[object, ...]:
    return (r.kind, r.place, r.meeting_point, r.hotel_id, ("vip", r.key) if r.vip else ())


def _next_free(res: Resource, ready: int, span: int) -> int | None:
    """The earliest start >= ready at which `res` is free for `span` minutes."""
    t = max(ready, minutes(res.shift_start))
    for start, end in res.busy:
        if end <= t:
            continue
        if start >= t + span:
            break
        t = end
    return t if t + span <= minutes(res.shift_end) else None


def plan_fcfs(requests: Sequence[Request], resources: Sequence[Resource]) -> list[PlannedTrip]:
    """Pickups dispatched first come, first served (passengers with no driver left are skipped)."""
    queue = sorted(requests, key=lambda r: (r.lo, r.key))
    served: set[int] = set()
    trips: list[PlannedTrip] = []
    for i, first in enumerate(queue):
        if first.key in served:
            continue
        span = 2 * first.travel
        options = [
            (t, res)
            for res in resources
            if (first.vip or not res.vip_only)
            and (t := _next_free(res, minutes(first.lo), span)) is not None
        ]
        if not options:
            continue
        leave, res = min(options, key=lambda o: (o[0], o[1].driver_id))
        riders = [first]
        for other in queue[i + 1 :]:
            if len(riders) >= res.capacity or minutes(other.lo) > leave or first.vip:
                break
            if other.key not in served and _segment(other) == _segment(first):
                riders.append(other)
        served.update(r.key for r in riders)
        res.busy.append((leave, leave + span))
        res.busy.sort()
        trips.append(
            PlannedTrip(
                first.kind,
                first.place,
                first.meeting_point,
                first.hotel_id,
                at_minute(leave),
                at_minute(leave),
                at_minute(leave + span),
                res.driver_id,
                res.vehicle_id,
                tuple(r.key for r in riders),
            )
        )
    return trips
