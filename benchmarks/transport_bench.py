"""Transport benchmark: 5,000 arrivals over two days, 300 vehicles; planner and baselines, one run.

    .venv/bin/python benchmarks/transport_bench.py [--arrivals 5000] [--vehicles 300] [--seed 7]
        [--png benchmarks/out/transport_tradeoff.png] [--json]

Every method plans the same instance with the same travel times; vehicle hours are 2 x travel
per trip (the hub <-> hotel round trip). Kerb wait runs from ready (landing + baggage: 40 / 25 /
10 min) until the car leaves; wait after landing adds the baggage. p95 is the nearest-rank 95th
percentile. Methods:
- planner at several service levels (`transport.kerb`: 95% of guests wait at most L min at the
  kerb, nobody past the 75-min landing limit, then fewest vehicle hours); the first is the
  default (L = 35);
- the same with greedy only (no CP-SAT stage), to show what CP-SAT adds;
- the previous planner (fewest loads, then least waiting, CP-SAT + greedy);
- dispatcher baselines (`transport.dispatch`): first come, first served into the largest free
  vehicle holding 0/10/20/30/35 min, per-flight batching; and `transport.fcfs` (never holds,
  lowest driver id first: a 4-seat sedan) labelled as what it is.
The summit is synthetic but shaped like the demo: 12 hotels 20-70 min from the airport (half
that from the station), three arrivals in four by air, 2% VIPs. With --json the last line is
one JSON object {"planner": [point, ...], "baselines": {name: point}}.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transport.dispatch import dispatch_flights, dispatch_hold
from transport.fcfs import plan_fcfs
from transport.kerb import ServiceLevel
from transport.planner import PlannedTrip, Request, Resource, plan
from transport.sharing import Position, Sharing

DAY0 = datetime(2026, 12, 7, 22, 0)  # 06:00 in Fuzhou, naive UTC
MAX_WAIT = 75
FLEET = (("sedan", 4, 0.45), ("van", 7, 0.35), ("minibus", 15, 0.17), ("vip", 4, 0.03))
SETTINGS = (  # (p95 level, cap, vehicle minutes per guest-minute waited): first is the default
    (35, None, 0.0),
    (20, None, 0.0),
    (25, None, 0.0),
    (30, None, 0.0),
    (40, None, 0.0),
    (45, None, 0.0),
    (0, 0, 0.0),
    (10, 10, 0.5),
    (20, 20, 0.25),
    (30, 30, 0.0),
    (35, 35, 0.0),
)
HOLDS = (0, 10, 20, 30, 35)
OUT = Path(__file__).resolve().parent / "out" / "transport_tradeoff.png"


def summit(rng: random.Random, arrivals: int) -> tuple[list[Request], dict[int, datetime]]:
    """Arrival requests and each one's landing time."""
    hotels = [(h, rng.randint(20, 70)) for h in range(12)]
    flights = [
        (
            DAY0 + timedelta(days=d, minutes=rng.randrange(0, 16 * 60, 5)),
            rng.random() < 0.75,
            rng.random() < 0.15,
        )
        for d in (0, 1)
        for _ in range(180)
    ]
    requests, landed = [], {}
    for key in range(arrivals):
        at, by_air, international = rng.choice(flights)
        hotel, travel = rng.choice(hotels)
        place = "FOC" if by_air else "FZS"
        baggage = (40 if international else 25) if by_air else 10
        requests.append(
            Request(
                key=key,
                attendee_id=key,
                kind="pickup",
                place=place,
                meeting_point=place,
                hotel_id=hotel,
                travel=travel if by_air else travel // 2,
                lo=at + timedelta(minutes=baggage),
                hi=at + timedelta(minutes=MAX_WAIT),
                vip=rng.random() < 0.02,
            )
        )
        landed[key] = at
    return requests, landed


def fleet(rng: random.Random, vehicles: int) -> list[Resource]:
    kinds = [k for k, _cap, share in FLEET for _ in range(round(share * vehicles))][:vehicles]
    out = []
    for i, kind in enumerate(kinds):
        capacity = next(cap for k, cap, _s in FLEET if k == kind)
        start = DAY0 - timedelta(hours=1) + timedelta(minutes=rng.choice((0, 30, 60)))
        out.append(Resource(i, i, capacity, kind == "vip", start, start + timedelta(hours=44)))
    return out


FOC = (25.9351, 119.6633)  # Fuzhou Changle airport
CORRIDORS = (250.0, 270.0, 290.0)  # bearings (deg from north) of the roads into town


def hotel_positions(rng: random.Random, requests: Sequence[Request]) -> dict[int, Position]:
    """Synthetic geometry: each hotel on one of three roads from the airport, as far out as its
    airport minutes at 42 km/h, up to 1 km off the road. (Hub -> hotel minutes stay the
    instance's own; positions only give hotel -> hotel minutes.)"""
    travel = {r.hotel_id: r.travel for r in requests if r.place == "FOC" and r.hotel_id is not None}
    out = {}
    for h in sorted(travel):
        km, bearing = travel[h] * 0.7, math.radians(rng.choice(CORRIDORS))
        north = km * math.cos(bearing) + rng.uniform(-1, 1)
        east = km * math.sin(bearing) + rng.uniform(-1, 1)
        out[h] = (FOC[0] + north / 111.0, FOC[1] + east / (111.0 * math.cos(math.radians(FOC[0]))))
    return out


def drive_minutes(t: PlannedTrip, by_key: dict[int, Request], sharing: Sharing | None) -> int:
    if sharing is None or len(t.stops) < 2:
        return 2 * max(by_key[k].travel for k in t.keys)
    direct = {by_key[k].hotel_id: by_key[k].travel for k in t.keys}
    return sharing.route(direct, sharing.order(direct, list(t.stops)))  # type: ignore[arg-type]


def ride_ratio(t: PlannedTrip, by_key: dict[int, Request], sharing: Sharing | None) -> float:
    if sharing is None or len(t.stops) < 2:
        return 1.0
    direct = {by_key[k].hotel_id: by_key[k].travel for k in t.keys}
    rides = sharing.rides(direct, sharing.order(direct, list(t.stops)))  # type: ignore[arg-type]
    return max(rides[h] / direct[h] for h in rides)


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (the planner's service level counts the same way)."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1] if ordered else 0.0


def point(
    trips: Sequence[PlannedTrip],
    seconds: float,
    requests: Sequence[Request],
    landed: dict[int, datetime],
    sharing: Sharing | None = None,
) -> dict[str, Any]:
    by_key = {r.key: r for r in requests}
    kerb, after = [], []
    hours = 0.0
    for t in trips:
        hours += drive_minutes(t, by_key, sharing) / 60
        for k in t.keys:
            kerb.append((t.at - by_key[k].lo).total_seconds() / 60)
            after.append((t.at - landed[k]).total_seconds() / 60)
    return {
        "trips": len(trips),
        "vehicle_hours": round(hours, 1),
        "avg_wait_min": round(statistics.fmean(kerb or [0]), 2),
        "p95_wait_min": p95(kerb),
        "max_wait_min": max(kerb or [0]),
        "avg_wait_after_landing_min": round(statistics.fmean(after or [0]), 2),
        "p95_wait_after_landing_min": p95(after),
        "over_limit": sum(w > MAX_WAIT for w in after) + len(requests) - len(kerb),
        "solve_s": round(seconds, 3),
        "shared_trips": sum(len(t.stops) > 1 for t in trips),
        "max_ride_ratio": round(max((ride_ratio(t, by_key, sharing) for t in trips), default=1), 2),
    }


def timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    trips = run()
    return trips, time.perf_counter() - started


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    requests, landed = summit(random.Random(args.seed), args.arrivals)

    def cars() -> list[Resource]:
        return fleet(random.Random(args.seed), args.vehicles)

    planner = []
    for level, cap, wait_cost in SETTINGS:
        service = ServiceLevel(level=level, cap=cap, wait_cost=wait_cost)
        result = timed(partial(plan, requests, cars(), args.time_limit, service))
        trips, s = result[0].trips, result[1]
        name = f"p95 <= {level}" + (f", cap {cap}" if cap is not None else "")
        name += f", wait cost {wait_cost}" if wait_cost else ""
        planner.append({"setting": name} | point(trips, s, requests, landed))
    other: dict[str, dict[str, Any]] = {}
    greedy_only = ServiceLevel(exact=False)
    trips, s = timed(lambda: plan(requests, cars(), args.time_limit, greedy_only).trips)
    other["planner p95 <= 35, greedy stage only (no DP)"] = point(trips, s, requests, landed)
    sharing = Sharing(hotel_positions(random.Random(args.seed + 1000), requests))
    for level in (35, 30):
        shared = ServiceLevel(level=level)
        result = timed(partial(plan, requests, cars(), args.time_limit, shared, sharing))
        trips, s = result[0].trips, result[1]
        other[f"planner p95 <= {level}, shared trips (ride <= 1.5 x direct)"] = point(
            trips, s, requests, landed, sharing
        )
    trips, s = timed(lambda: plan(requests, cars(), 3.0).trips)
    other["previous planner (fewest loads; CP-SAT + greedy, 3 s)"] = point(
        trips, s, requests, landed
    )
    baselines: dict[str, dict[str, Any]] = {}
    for hold in HOLDS:
        trips, s = timed(partial(dispatch_hold, requests, cars(), hold))
        baselines[f"FCFS largest free vehicle, hold {hold}"] = point(trips, s, requests, landed)
    trips, s = timed(lambda: dispatch_flights(requests, cars()))
    baselines["per-flight batching"] = point(trips, s, requests, landed)
    trips, s = timed(lambda: plan_fcfs(requests, cars()))
    baselines["transport.fcfs (no hold, lowest driver id: sedans first)"] = point(
        trips, s, requests, landed
    )
    return {"planner": planner, "others": other, "baselines": baselines}


def dominating(planner: list[dict[str, Any]], base: dict[str, Any]) -> str | None:
    """A planner setting no worse on hours, avg and p95 kerb wait, better on one."""
    keys = ("vehicle_hours", "avg_wait_min", "p95_wait_min")
    for p in planner:
        if all(p[k] <= base[k] for k in keys) and any(p[k] < base[k] for k in keys):
            return str(p["setting"])
    return None


def table(result: dict[str, Any]) -> None:
    head = (
        f"{'method':58} {'trips':>5} {'veh h':>7} {'kerb avg/p95/max':>17} "
        f"{'landing avg/p95':>15} {'>lim':>4} {'solve s':>7}"
    )
    print(head)
    rows: list[tuple[str, dict[str, Any]]] = [
        (f"planner {p['setting']}", p) for p in result["planner"]
    ]
    rows += list(result["others"].items()) + list(result["baselines"].items())
    for name, p in rows:
        kerb = f"{p['avg_wait_min']:.1f}/{p['p95_wait_min']:.0f}/{p['max_wait_min']:.0f}"
        land = f"{p['avg_wait_after_landing_min']:.1f}/{p['p95_wait_after_landing_min']:.0f}"
        print(
            f"{name:58} {p['trips']:5d} {p['vehicle_hours']:7.1f} {kerb:>17} {land:>15} "
            f"{p['over_limit']:4d} {p['solve_s']:7.2f}"
        )
    for name, base in result["baselines"].items():
        print(f"  {name}: dominated by planner {dominating(result['planner'], base)}")


def draw(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    levels = sorted(
        (p for p in result["planner"] if "cap" not in p["setting"]),
        key=lambda p: p["p95_wait_min"],
    )
    ax.plot(
        [p["vehicle_hours"] for p in levels],
        [p["p95_wait_min"] for p in levels],
        "o-",
        label="planner, p95 service levels",
    )
    capped = [p for p in result["planner"] if "cap" in p["setting"]]
    ax.plot(
        [p["vehicle_hours"] for p in capped],
        [p["p95_wait_min"] for p in capped],
        "D",
        label="planner, caps (nobody over)",
    )
    markers = iter("sv^<>px*hH+")
    for name, p in list(result["baselines"].items()) + list(result["others"].items()):
        ax.plot(p["vehicle_hours"], p["p95_wait_min"], next(markers, "."), label=name)
    ax.set_xlabel("vehicle hours")
    ax.set_ylabel("kerb wait p95 (min)")
    ax.set_title("Kerb wait p95 against vehicle hours (same instance, one run)")
    ax.set_xscale("log")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=5000)
    parser.add_argument("--vehicles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=4.0)
    parser.add_argument("--png", type=Path, default=OUT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_all(args)
    print(
        f"{args.arrivals} arrivals over two days, {args.vehicles} vehicles, seed {args.seed}, "
        f"landing limit {MAX_WAIT} min"
    )
    table(result)
    draw(result, args.png)
    print(f"trade-off chart: {args.png}")
    if args.json:
        print(json.dumps({"planner": result["planner"], "baselines": result["baselines"]}))


if __name__ == "__main__":
    main()
