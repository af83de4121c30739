"""Kerb-wait planning (transport.kerb): each stage on a known instance, and brute force."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest

from transport.batching import BatchStats
from transport.kerb import Guest, ServiceLevel, _knapsack, contiguous_front, plan_segments
from transport.planner import Request, Resource, minutes, plan

KNOWN = [5, 25, 40, 55, 55, 55]  # ready minutes; found by search, see test_each_stage_...


def guests(ready: Sequence[int], level: int = 10, cap: int = 30) -> list[Guest]:
    return [Guest(i, lo, lo + level, lo + cap) for i, lo in enumerate(ready)]


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1 :]]
        yield [[first], *part]


def brute_front(gs: Sequence[Guest], capacity: int) -> dict[int, int]:
    """For every load count, the fewest late guests over every feasible grouping."""
    by = {g.index: g for g in gs}
    best: dict[int, int] = {}
    for part in partitions([g.index for g in gs]):
        late = 0
        for block in part:
            at = max(by[i].lo for i in block)  # leaving later never helps
            if len(block) > capacity or at > min(by[i].hi for i in block):
                break
            late += sum(at > by[i].tight for i in block)
        else:
            best[len(part)] = min(best.get(len(part), late), late)
    return best


def test_each_stage_improves_the_known_instance() -> None:
    gs = guests(KNOWN)
    one = [(120, gs)]
    # Stage 1 alone (everyone within the level): earliest-deadline-first needs 5 loads.
    tight = plan_segments(one, 2, ServiceLevel(level=10), budget=0, stats=BatchStats())
    assert len(tight[0]) == 5
    # Stage 2 (greedy with the relaxed window as the only cheaper option): a budget of one late
    # guest buys nothing, since relaxed greedy makes two guests late.
    greedy = ServiceLevel(level=10, exact=False)
    assert len(plan_segments(one, 2, greedy, budget=1, stats=BatchStats())[0]) == 5
    assert len(plan_segments(one, 2, greedy, budget=2, stats=BatchStats())[0]) == 3
    # Stage 3 (dynamic programme): one late guest saves one load.
    stats = BatchStats()
    exact = plan_segments(one, 2, ServiceLevel(level=10), budget=1, stats=stats)
    assert len(exact[0]) == 4 and stats.exact == 1
    late = [i for t in exact[0] for i in t.members if t.at > gs[i].tight]
    assert len(late) == 1


def test_the_knapsack_spends_late_guests_where_vehicle_time_is_dearest() -> None:
    near, far = guests(KNOWN), guests(KNOWN)
    out = plan_segments([(20, near), (120, far)], 2, ServiceLevel(level=10), 1, BatchStats())
    assert [len(trips) for trips in out] == [5, 4]
    out = plan_segments([(120, near), (20, far)], 2, ServiceLevel(level=10), 1, BatchStats())
    assert [len(trips) for trips in out] == [4, 5]


@pytest.mark.parametrize("seed", range(40))
def test_the_programme_matches_brute_force_for_one_window_shape(seed: int) -> None:
    rng = random.Random(seed)
    gs = guests(sorted(rng.randrange(0, 80, 5) for _ in range(rng.randint(3, 7))))
    capacity = rng.choice([1, 2, 3])
    truth = brute_front(gs, capacity)
    front = {len(o.loads): o.late for o in contiguous_front(gs, capacity, len(gs))}
    for m, late in front.items():
        assert late == min(v for k, v in truth.items() if k <= m)
    assert min(front) == min(truth)  # the fewest loads possible at all


@pytest.mark.parametrize("seed", range(20))
def test_the_plan_with_a_budget_matches_brute_force(seed: int) -> None:
    rng = random.Random(100 + seed)
    segments = [
        (
            rng.choice([40, 60, 120]),
            guests(
                [rng.randrange(0, 60, 5) for _ in range(rng.randint(2, 6))],
                level=rng.choice([5, 10, 20]),
                cap=rng.choice([20, 30, 40]),
            ),
        )
        for _ in range(rng.randint(1, 3))
    ]
    budget, capacity = rng.randint(0, 3), rng.choice([2, 3])
    fronts = [brute_front(gs, capacity) for _w, gs in segments]
    best = min(
        sum(w * m for (w, _), m in zip(segments, pick, strict=True))
        for pick in itertools.product(*[sorted(f) for f in fronts])
        if sum(f[m] for f, m in zip(fronts, pick, strict=True)) <= budget
    )
    out = plan_segments(segments, capacity, ServiceLevel(level=0), budget, BatchStats())
    got = sum(w * len(trips) for (w, _), trips in zip(segments, out, strict=True))
    late = sum(
        t.at > gs[i].tight
        for (_w, gs), trips in zip(segments, out, strict=True)
        for t in trips
        for i in t.members
    )
    assert late <= budget
    assert got == best


def test_knapsack_matches_brute_force() -> None:
    rng = random.Random(3)
    for _ in range(200):
        choices = [
            [(rng.randint(0, 50), rng.randint(0, 4)) for _ in range(rng.randint(1, 3))]
            for _ in range(rng.randint(1, 4))
        ]
        budget = rng.randint(0, 6)
        feasible = [
            p
            for p in itertools.product(*[range(len(c)) for c in choices])
            if sum(c[k][1] for c, k in zip(choices, p, strict=True)) <= budget
        ]
        if not feasible:
            continue
        best = min(sum(c[k][0] for c, k in zip(choices, p, strict=True)) for p in feasible)
        pick = _knapsack(choices, budget)
        assert sum(c[k][1] for c, k in zip(choices, pick, strict=True)) <= budget
        assert sum(c[k][0] for c, k in zip(choices, pick, strict=True)) == best


T0 = datetime(2026, 12, 7, 6, 0)


@pytest.mark.parametrize(("seed", "short"), [(s, s % 2 == 1) for s in range(16)])
def test_a_whole_plan_keeps_the_service_level_cap_and_vips(seed: int, short: bool) -> None:
    """Through the vehicle stage too. A short fleet makes loads slide, split and squeeze into
    other trips: then a late ride beats no ride, but never past the cap or the landing limit."""
    rng = random.Random(seed)
    requests = []
    for key in range(rng.randint(20, 120)):
        landed = T0 + timedelta(minutes=rng.randrange(0, 8 * 60, 5))
        bag = rng.choice([10, 25, 40])
        requests.append(
            Request(
                key, key, "pickup", "FOC", "FOC", rng.randint(1, 4), rng.randint(15, 60),
                landed + timedelta(minutes=bag), landed + timedelta(minutes=75),
                vip=rng.random() < 0.05,
            )
        )  # fmt: skip
    fleet = [
        Resource(i, i, rng.choice([4, 7, 15]), i == 0, T0, T0 + timedelta(hours=14))
        for i in range(rng.randint(3, 8) if short else 80)
    ]
    service = ServiceLevel(level=rng.choice([10, 20, 35]), cap=rng.choice([None, 45]))
    result = plan(requests, fleet, 2.0, service)
    by = {r.key: r for r in requests}
    waits = {k: minutes(t.at) - minutes(by[k].lo) for t in result.trips for k in t.keys}
    assert len(waits) + len(result.unplanned) == len(requests)
    late = sum(w > service.level for w in waits.values())
    assert short or late <= service.late_budget(len(requests))
    assert short or not result.unplanned
    for k, w in waits.items():
        assert w >= 0 and by[k].lo + timedelta(minutes=w) <= by[k].hi
        assert service.cap is None or w <= service.cap
        assert short or not by[k].vip or w <= service.level
