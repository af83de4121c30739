"""Transport planner benchmark: 5,000 arrivals over two days, 300 vehicles, same run as baselines.

    .venv/bin/python benchmarks/transport_bench.py [--arrivals 5000] [--vehicles 300] [--seed 7]

Prints, side by side: the planner (CP-SAT per cluster with greedy fallback, 3 s limit), the
planner's own greedy alone (no CP-SAT), and first-come-first-served dispatch (transport.fcfs):
plan time, vehicle trips, passengers per trip, average and maximum wait after landing (baggage
included), passengers over the wait limit and passengers left without a trip.
The summit is synthetic but shaped like the demo: 12 hotels 20-70 min from the airport,
three arrivals in four by air (international ones at T2), the rest by train, 2% VIPs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transport.fcfs import plan_fcfs
from transport.planner import PlannedTrip, Request, Resource, plan

DAY0 = datetime(2026, 12, 7, 22, 0)  # 06:00 in Fuzhou, naive UTC
MAX_WAIT = 75
FLEET = (("sedan", 4, 0.45), ("van", 7, 0.35), ("minibus", 15, 0.17), ("vip", 4, 0.03))


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


def measure(
    name: str,
    run: Callable[[], Sequence[PlannedTrip]],
    requests: list[Request],
    landed: dict[int, datetime],
) -> dict[str, object]:
    started = time.perf_counter()
    trips = run()
    seconds = time.perf_counter() - started
    waits = [(t.at - landed[k]).total_seconds() / 60 for t in trips for k in t.keys]
    carried = len(waits)
    return {
        "method": name,
        "seconds": seconds,
        "trips": len(trips),
        "per_trip": carried / max(len(trips), 1),
        "avg_wait": statistics.fmean(waits or [0]),
        "max_wait": max(waits or [0]),
        "over_limit": sum(w > MAX_WAIT for w in waits),
        "without_trip": len(requests) - carried,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=5000)
    parser.add_argument("--vehicles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    requests, landed = summit(random.Random(args.seed), args.arrivals)
    rows = []
    for name, limit in (("planner (CP-SAT + greedy, 3 s)", 3.0), ("planner greedy only", 0.0)):
        res = fleet(random.Random(args.seed), args.vehicles)
        stats: dict[str, object] = {}

        def run(limit: float = limit, res: list[Resource] = res, stats: dict = stats) -> list:
            result = plan(requests, res, time_limit=limit)
            stats.update(result.stats.__dict__)
            return result.trips

        rows.append(measure(name, run, requests, landed) | {"solver": dict(stats)})
    res = fleet(random.Random(args.seed), args.vehicles)
    rows.append(
        measure("first come, first served", lambda: plan_fcfs(requests, res), requests, landed)
    )
    print(
        f"{args.arrivals} arrivals over two days, {args.vehicles} vehicles, "
        f"wait limit {MAX_WAIT} min"
    )
    print(
        f"{'method':34} {'time s':>7} {'trips':>6} {'pax/trip':>8} {'avg wait':>9} "
        f"{'max wait':>9} {'>limit':>7} {'no trip':>8}"
    )
    for r in rows:
        print(
            f"{r['method']:34} {r['seconds']:7.2f} {r['trips']:6d} {r['per_trip']:8.2f} "
            f"{r['avg_wait']:9.1f} {r['max_wait']:9.1f} {r['over_limit']:7d} {r['without_trip']:8d}"
        )
    for r in rows:
        if "solver" in r:
            print(f"  {r['method']}: clusters {r['solver']}")


if __name__ == "__main__":
    main()
