"""Kerb wait as the objective: a service level on waiting, then the fewest vehicle hours.

A guest's *kerb wait* runs from the moment they are ready (landing plus baggage) until the car
leaves. The organiser sets a service level (`ServiceLevel`): `share` of the guests (95% by
default) wait at most `level` minutes, nobody more than `cap` (and never past the landing limit
that the request's window already carries); VIPs and speakers always within `level`. Under that
rule the plan minimises vehicle time (a trip costs its round trip, so far hotels weigh more).

The problem decomposes. Guests who may share a car form segments (same hub, meeting point and
hotel); inside a segment, windows that do not overlap never share a car, so it splits into
clusters. For one cluster:
- with every guest held to `level` (their *tight* window), earliest-deadline-first greedy gives
  the fewest loads, with nobody late;
- with every guest allowed up to the cap (*relaxed* window) the same greedy gives the fewest
  loads possible at all;
- in between, for each load count m, a small CP-SAT model (a trip only at a member's deadline,
  which loses nothing) finds the fewest guests who must wait past `level`.
A multiple-choice knapsack then picks one (loads, late guests) option per cluster: least vehicle
time with at most the allowed number of late guests in total (the p95 budget, nearest rank).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from transport.batching import BatchStats, Load, Window, greedy_loads


@dataclass(frozen=True)
class ServiceLevel:
    """`share` of guests wait at most `level` kerb minutes; nobody more than `cap` (if set)."""

    level: int = 35
    share: float = 0.95
    cap: int | None = None
    exact: bool = True  # the dynamic programme per segment (else the two greedy plans only)
    wait_cost: float = 0.0  # vehicle minutes one guest-minute of kerb wait is worth (0: none)

    def late_budget(self, guests: int) -> int:
        """Guests allowed past `level` so that the nearest-rank `share` quantile meets it."""
        return guests - math.ceil(self.share * guests - 1e-9)


@dataclass(frozen=True)
class Guest:
    """One passenger in a segment, minutes on the planner's axis."""

    index: int
    lo: int  # ready
    tight: int  # latest on time (ready + level, not past hi)
    hi: int  # latest at all


@dataclass(frozen=True)
class Trip:
    """A load and how far it may slide without anyone new waiting past their deadline."""

    members: tuple[int, ...]
    at: int
    lo: int
    hi: int


@dataclass(frozen=True)
class _Option:
    loads: tuple[Load, ...]
    late: int
    wait: int = 0


def late_count(loads: Sequence[Load], by_index: dict[int, Guest]) -> int:
    return sum(load.at > by_index[i].tight for load in loads for i in load.members)


def _option(loads: Sequence[Load], by_index: dict[int, Guest]) -> _Option:
    wait = sum(load.at - by_index[i].lo for load in loads for i in load.members)
    return _Option(tuple(loads), late_count(loads, by_index), wait)


def _windows(guests: Sequence[Guest], tight: bool) -> list[Window]:
    return [Window(g.index, g.lo, g.tight if tight else g.hi) for g in guests]


BIG = 10**7  # one late guest outweighs any amount of waiting inside a segment


def contiguous_front(guests: Sequence[Guest], capacity: int, max_loads: int) -> list[_Option]:
    """Exact for guests whose windows have one shape (sorted by ready, deadlines in the same
    order), a heuristic otherwise: loads are runs of consecutive guests (by ready time), each
    leaving when its last member is ready. For every load count, the fewest late guests, then
    the least waiting (dynamic programming over prefixes; one vector per prefix).
    """
    order = sorted(guests, key=lambda g: (g.lo, g.hi, g.index))
    n = len(order)
    inf = np.iinfo(np.int64).max // 4
    dp = np.full((n + 1, max_loads + 1), inf, dtype=np.int64)
    parent = np.zeros((n + 1, max_loads + 1), dtype=np.int16)
    dp[0, 0] = 0
    for j in range(1, n + 1):
        at = order[j - 1].lo
        latest, late, wait = order[j - 1].hi, 0, 0
        for size in range(1, min(capacity, j) + 1):
            g = order[j - size]
            latest = min(latest, g.hi)
            if at > latest:
                break
            late += g.tight < at
            wait += at - g.lo
            cand = dp[j - size, :-1] + (late * BIG + wait)
            better = cand < dp[j, 1:]
            dp[j, 1:][better] = cand[better]
            parent[j, 1:][better] = size
    out: list[_Option] = []
    for m in range(1, max_loads + 1):
        if dp[n, m] >= inf:
            continue
        loads, j, k = [], n, m
        while j:
            size = int(parent[j, k])
            members = tuple(g.index for g in order[j - size : j])
            loads.append(Load(members, order[j - 1].lo))
            j, k = j - size, k - 1
        out.append(_Option(tuple(reversed(loads)), int(dp[n, m] // BIG), int(dp[n, m] % BIG)))
    return out


def _pareto(options: list[_Option], with_wait: bool) -> list[_Option]:
    """Options no option with as few loads beats on late guests (and on waiting, if it counts)."""
    best: list[_Option] = []
    for o in sorted(options, key=lambda o: (len(o.loads), o.late, o.wait)):
        if not any(b.late <= o.late and (not with_wait or b.wait <= o.wait) for b in best):
            best.append(o)
    return best


def _options(
    guests: Sequence[Guest], capacity: int, level: ServiceLevel, stats: BatchStats
) -> list[_Option]:
    by_index = {g.index: g for g in guests}
    tight = greedy_loads(_windows(guests, True), capacity)
    relaxed = greedy_loads(_windows(guests, False), capacity)
    options = [_option(tight, by_index), _option(relaxed, by_index)]
    stats.greedy += 1
    if level.exact and (len(relaxed) < len(tight) or level.wait_cost):
        stats.exact += 1
        options += contiguous_front(
            guests, capacity, len(guests) if level.wait_cost else len(tight)
        )
    return _pareto(options, with_wait=level.wait_cost > 0)


def _knapsack(choices: list[list[tuple[int, int]]], budget: int) -> list[int]:
    """Per cluster one (cost, late) option: least total cost, total late <= budget."""
    inf = 10**15
    best = [0] + [inf] * budget  # best[b]: least cost using exactly-at-most b late guests
    picks: list[list[int]] = []
    for opts in choices:
        new = [inf] * (budget + 1)
        pick = [-1] * (budget + 1)
        for b in range(budget + 1):
            for k, (cost, late) in enumerate(opts):
                if late <= b and best[b - late] + cost < new[b]:
                    new[b], pick[b] = best[b - late] + cost, k
        best = new
        picks.append(pick)
    b = min(range(budget + 1), key=lambda i: (best[i], i))
    chosen = [0] * len(choices)
    for c in range(len(choices) - 1, -1, -1):
        k = picks[c][b]
        chosen[c] = k
        b -= choices[c][k][1]
    return chosen


def plan_segments(
    segments: Sequence[tuple[int, Sequence[Guest]]],
    capacity: int,
    level: ServiceLevel,
    budget: int,
    stats: BatchStats,
) -> list[list[Trip]]:
    """Trips per segment (`(minutes per trip, guests)`), at most `budget` guests late overall."""
    owners: list[int] = []
    guest_sets: list[dict[int, Guest]] = []
    all_options: list[list[_Option]] = []
    for s, (_weight, guests) in enumerate(segments):
        all_options.append(_options(guests, capacity, level, stats))
        owners.append(s)
        guest_sets.append({g.index: g for g in guests})
    choices = [
        [
            (len(o.loads) * segments[owners[c]][0] + round(level.wait_cost * o.wait), o.late)
            for o in opts
        ]
        for c, opts in enumerate(all_options)
    ]
    chosen = _knapsack(choices, budget)
    out: list[list[Trip]] = [[] for _ in segments]
    for c, opts in enumerate(all_options):
        by_index = guest_sets[c]
        for load in opts[chosen[c]].loads:
            lo = max(by_index[i].lo for i in load.members)
            hi = min(
                by_index[i].tight if load.at <= by_index[i].tight else by_index[i].hi
                for i in load.members
            )
            out[owners[c]].append(Trip(load.members, load.at, lo, hi))
    return out
