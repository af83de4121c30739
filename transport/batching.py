"""Grouping passengers who go the same way into vehicle loads: greedy, then CP-SAT where it pays.

Every request has a window [lo, hi] (minutes) for the vehicle's time at the hub: for a pickup
the time the car leaves the airport (after baggage, before the wait limit), for a departure the
drop-off time before the flight. A load is feasible when one time fits every member's window
and it has at most `capacity` members. Windows that do not overlap never share a load, so the
problem splits into independent clusters; each cluster is solved by CP-SAT with the greedy
answer as a hint and a time limit, and the greedy answer is kept whenever CP-SAT does not
return something at least as good in time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

MAX_CLUSTER = 36  # CP-SAT model size stays small enough to answer in milliseconds
TRIP_WEIGHT = 100_000  # one load fewer outweighs any amount of waiting


@dataclass(frozen=True)
class Window:
    """One passenger's window, in whole minutes from the planning origin."""

    index: int
    lo: int
    hi: int


@dataclass(frozen=True)
class Load:
    """Members (window indices) and the vehicle time, in minutes."""

    members: tuple[int, ...]
    at: int


def greedy_loads(windows: Sequence[Window], capacity: int) -> list[Load]:
    """Earliest-deadline-first: the first deadline fixes a load; those ready by then join it."""
    pending = sorted(windows, key=lambda w: (w.hi, w.lo, w.index))
    loads: list[Load] = []
    while pending:
        deadline = pending[0].hi
        chosen = [w for w in pending if w.lo <= deadline][:capacity]
        taken = {w.index for w in chosen}
        pending = [w for w in pending if w.index not in taken]
        loads.append(Load(tuple(w.index for w in chosen), max(w.lo for w in chosen)))
    return loads


def clusters(windows: Sequence[Window]) -> list[list[Window]]:
    """Split into chains of overlapping windows, chopped at MAX_CLUSTER members."""
    out: list[list[Window]] = []
    current: list[Window] = []
    reach = -(10**9)
    for w in sorted(windows, key=lambda w: (w.lo, w.hi, w.index)):
        if current and (w.lo > reach or len(current) >= MAX_CLUSTER):
            out.append(current)
            current, reach = [], -(10**9)
        current.append(w)
        reach = max(reach, w.hi)
    if current:
        out.append(current)
    return out


def total_wait(loads: Sequence[Load], by_index: dict[int, Window]) -> int:
    """Sum over members of (vehicle time - earliest time): minutes spent waiting."""
    return sum(load.at - by_index[i].lo for load in loads for i in load.members)


def solve_cluster(
    cluster: Sequence[Window], capacity: int, seconds: float, wall: float = 1.0
) -> list[Load] | None:
    """CP-SAT: fewest loads, then least waiting; None when no solution came in time."""
    greedy = greedy_loads(cluster, capacity)
    n_loads = len(greedy)
    lo = min(w.lo for w in cluster)
    hi = max(w.hi for w in cluster)
    m = cp_model.CpModel()
    used = [m.new_bool_var(f"u{b}") for b in range(n_loads)]
    at = [m.new_int_var(lo, hi, f"t{b}") for b in range(n_loads)]
    x = {(w.index, b): m.new_bool_var(f"x{w.index}_{b}") for w in cluster for b in range(n_loads)}
    waits = []
    for w in cluster:
        m.add_exactly_one(x[w.index, b] for b in range(n_loads))
        wait = m.new_int_var(0, hi - w.lo, f"w{w.index}")
        for b in range(n_loads):
            m.add(at[b] >= w.lo).only_enforce_if(x[w.index, b])
            m.add(at[b] <= w.hi).only_enforce_if(x[w.index, b])
            m.add(wait >= at[b] - w.lo).only_enforce_if(x[w.index, b])
        waits.append(wait)
    for b in range(n_loads):
        m.add(sum(x[w.index, b] for w in cluster) <= capacity * used[b])
        if b:  # symmetry: loads used in order and by time
            m.add_implication(used[b], used[b - 1])
            m.add(at[b] >= at[b - 1]).only_enforce_if(used[b])
    m.minimize(TRIP_WEIGHT * sum(used) + sum(waits))
    _hint(m, greedy, x, at, used)
    solver = cp_model.CpSolver()
    # Deterministic work units keep the same input giving the same plan (seed, tests); the
    # wall-clock cap only guards against a loaded machine.
    solver.parameters.max_deterministic_time = max(seconds, 0.01)
    solver.parameters.max_time_in_seconds = max(min(wall, 1.0), 0.01)
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    loads = []
    for b in range(n_loads):
        members = tuple(w.index for w in cluster if solver.boolean_value(x[w.index, b]))
        if members:
            loads.append(Load(members, solver.value(at[b])))
    return loads


def _hint(
    m: cp_model.CpModel,
    greedy: list[Load],
    x: dict[tuple[int, int], cp_model.IntVar],
    at: list[cp_model.IntVar],
    used: list[cp_model.IntVar],
) -> None:
    greedy = sorted(greedy, key=lambda load: load.at)
    for b, load in enumerate(greedy):
        m.add_hint(used[b], True)
        m.add_hint(at[b], load.at)
        for (i, bb), var in x.items():
            if bb == b:
                m.add_hint(var, i in load.members)


@dataclass
class BatchStats:
    """How each cluster was solved (reported by the planner and the benchmark)."""

    cp_sat: int = 0
    greedy: int = 0
    trivial: int = 0
    exact: int = 0  # segments planned by the kerb dynamic programme (transport.kerb)


def make_loads(
    windows: Sequence[Window], capacity: int, deadline: float, stats: BatchStats
) -> list[Load]:
    """Loads for one segment: CP-SAT per cluster while time remains, greedy otherwise."""
    out: list[Load] = []
    by_index = {w.index: w for w in windows}
    for cluster in clusters(windows):
        greedy = greedy_loads(cluster, capacity)
        if len(greedy) == 1:  # one load: its time is forced, nothing to improve
            stats.trivial += 1
            out.extend(greedy)
            continue
        left = deadline - time.monotonic()
        solved = solve_cluster(cluster, capacity, min(0.2, left), left) if left > 0.05 else None
        if solved is not None and _better(solved, greedy, by_index):
            stats.cp_sat += 1
            out.extend(solved)
        else:
            stats.greedy += 1
            out.extend(greedy)
    return out


def _better(candidate: list[Load], greedy: list[Load], by_index: dict[int, Window]) -> bool:
    key_c = (len(candidate), total_wait(candidate, by_index))
    key_g = (len(greedy), total_wait(greedy, by_index))
    return key_c <= key_g
