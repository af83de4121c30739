"""Planning solves with no transaction open and stores its plan only if nothing it read changed.

These run on a real SQLite file: while the solver runs (a re-plan after a delay, or the bulk
planning of every pickup), another connection must get the write lock at once; a change made
meanwhile sends the run back to read and solve again, and one that keeps changing ends in
`plan_conflict` with nothing stored. Bulk planning called with a transaction already open is
a programming error: it is refused before anything is solved or stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from models import DomainEvent, Flight, Trip, TripPassenger
from models.db import transaction
from tests.conftest import Caller
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport import promises, service
from transport.delays import change_estimate
from transport.planner import Plan
from transport.service import plan_departures, plan_pickups

NEW_ETA = SUMMIT + timedelta(hours=3)


def build(runtime: Runtime, *, planned: bool = True) -> dict[str, Any]:
    """Six passengers on a flight that will be late and two on another, sharing small cars.

    The data is committed first; the pickups are then planned (unless `planned=False`) the way
    staff plan them, with no transaction open when the planner starts.
    """
    with transaction(runtime.sessions) as db:
        h1, h2 = make_hotel(db, "H1", airport=40), make_hotel(db, "H2", airport=30)
        late = make_passengers(db, runtime.pii, 6)
        early = make_passengers(db, runtime.pii, 2)
        for p in late + early:
            make_stay(db, p, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
        legs = [make_leg(db, p, SUMMIT, number="MF8101") for p in late]
        for p in early:
            make_leg(db, p, SUMMIT + timedelta(minutes=10), number="CA1234")
        for _ in range(4):
            make_driver(db, capacity=4)
        world = {"late": [p.id for p in late], "leg": legs[0].id, "h2": h2.id}
    if planned:
        with transaction(runtime.sessions) as db:
            plan_pickups(db, now=NOW)
    return world


def other_connection(runtime: Runtime, sql: str, *params: object) -> None:
    """Write through a connection of its own that waits at most 2 s for the write lock."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("these tests are about SQLite's write lock")
    conn = sqlite3.connect(str(runtime.engine.url.database), timeout=2, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the planner holds it
        conn.execute(sql, params)
        conn.execute("COMMIT")
    finally:
        conn.close()


DELAY_SOLVES = 2  # a delay's attempt: the guests who must move, then the wider re-plan


def solving_with(monkeypatch: pytest.MonkeyPatch, during: Callable[[int], None]) -> list[Plan]:
    """Replace the planner with one that calls `during(n)` while solve n runs."""
    plans: list[Plan] = []
    real = service.plan

    def solve(*args: Any, **kwargs: Any) -> Plan:
        during(len(plans))
        plans.append(real(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(service, "plan", solve)
    monkeypatch.setattr(promises, "plan", solve)  # a delay's solves (transport.promises)
    return plans


def stored(runtime: Runtime) -> tuple[object, ...]:
    """Everything a re-plan may change: trips, seats, flight times and events."""
    with runtime.sessions() as db:
        return (
            db.execute(select(Trip.id, Trip.version, Trip.state, Trip.starts_at)).all(),
            db.execute(select(TripPassenger.trip_id, TripPassenger.flight_id)).all(),
            db.scalars(select(Flight.estimated_at)).all(),
            db.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1)),
        )


def gate_audits(runtime: Runtime) -> Callable[[int], None]:
    """What a gate does every few seconds: write an audit entry (needs the write lock)."""
    return lambda _n: other_connection(
        runtime,
        "INSERT INTO audit_entry (actor, action, target, reason, created_at) "
        "VALUES ('device:9', 'gate_bundle_fetched', 'gate:1', '', '2026-12-06 00:00:00')",
    )


def rides_of(runtime: Runtime, attendee_ids: list[int]) -> list[Trip]:
    with runtime.sessions() as db:
        return list(
            db.scalars(
                select(Trip)
                .join(TripPassenger)
                .where(TripPassenger.attendee_id.in_(attendee_ids), Trip.state != "cancelled")
            )
        )


@pytest.mark.parametrize(
    ("planner", "kind", "at"),
    [
        (plan_pickups, "arrival", SUMMIT),
        (plan_departures, "departure", SUMMIT + timedelta(hours=10)),
    ],
)
def test_bulk_planning_inside_an_open_write_transaction_is_refused_and_stores_nothing(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    planner: Callable[..., object],
    kind: str,
    at: object,
) -> None:
    build(runtime, planned=False)
    plans = solving_with(monkeypatch, lambda _n: None)
    with (
        pytest.raises(RuntimeError, match="solves outside any transaction; commit first"),
        transaction(runtime.sessions) as db,
    ):
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, at, kind=kind, number="CA9999")  # the write lock is now held
        assert db.in_transaction()
        planner(db, now=NOW)
    assert plans == []  # refused before any solve
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Trip)) == 0
        assert db.scalar(select(func.count()).select_from(TripPassenger)) == 0
        assert db.scalar(select(func.count()).select_from(Flight)) == 8  # the leg rolled back
        assert db.scalar(select(func.count()).where(Flight.number == "CA9999")) == 0


def test_others_write_while_all_pickups_are_solved_and_the_plan_is_then_stored(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(runtime, planned=False)
    plans = solving_with(monkeypatch, gate_audits(runtime))
    with transaction(runtime.sessions) as db:
        report = plan_pickups(db, now=NOW)
    assert len(plans) == 1 and plans[0].stats.greedy > 0  # segments were really solved
    assert report.solver["greedy"] > 0 and report.legs == 8 and report.unplanned == []
    assert len(rides_of(runtime, world["late"])) == 6
    with runtime.sessions() as db:
        assert len(db.scalars(select(TripPassenger)).all()) == 8


def test_a_guest_moved_while_all_pickups_are_solved_is_seen_by_solving_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(runtime, planned=False)
    mover = world["late"][0]

    def move_to_h2(n: int) -> None:
        if n == 0:
            other_connection(
                runtime, "UPDATE stay SET hotel_id = ? WHERE attendee_id = ?", world["h2"], mover
            )

    plans = solving_with(monkeypatch, move_to_h2)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    assert len(plans) == 2
    (ride,) = rides_of(runtime, [mover])
    assert ride.hotel_id == world["h2"]


def test_others_write_while_a_delay_is_solved_and_the_plan_is_then_stored(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(runtime)
    plans = solving_with(monkeypatch, gate_audits(runtime))
    with transaction(runtime.sessions) as db:
        report = change_estimate(db, world["leg"], NEW_ETA, "staff:1", now=NOW)
    # A delay solves twice per attempt: who must move, and the wider re-plan it is checked against.
    assert len(plans) == DELAY_SOLVES and plans[0].stats.greedy > 0  # segments really solved
    assert report.solver["greedy"] > 0 and report.trips_created + report.trips_updated > 0
    with runtime.sessions() as db:
        rides = db.scalars(
            select(Trip)
            .join(TripPassenger)
            .where(TripPassenger.attendee_id.in_(world["late"]), Trip.state != "cancelled")
        ).all()
        assert len(rides) == 6 and all(t.starts_at >= NEW_ETA for t in rides)
        assert set(db.scalars(select(Flight.estimated_at).where(Flight.number == "MF8101"))) == {
            NEW_ETA
        }


def test_a_change_made_during_the_solve_is_seen_by_solving_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(runtime)
    mover = world["late"][0]

    def move_to_h2(n: int) -> None:
        if n == 0:  # the front desk moves one guest to another hotel mid-solve
            other_connection(
                runtime, "UPDATE stay SET hotel_id = ? WHERE attendee_id = ?", world["h2"], mover
            )

    plans = solving_with(monkeypatch, move_to_h2)
    with transaction(runtime.sessions) as db:
        change_estimate(db, world["leg"], NEW_ETA, "staff:1", now=NOW)
    assert len(plans) == 2 * DELAY_SOLVES
    with runtime.sessions() as db:
        ride = db.scalar(
            select(Trip)
            .join(TripPassenger)
            .where(TripPassenger.attendee_id == mover, Trip.state != "cancelled")
        )
        assert ride is not None and ride.hotel_id == world["h2"]
        changed = db.scalars(
            select(DomainEvent.name).where(DomainEvent.name == "flight_estimate_changed")
        ).all()
        assert changed == ["flight_estimate_changed"]  # applied once, not once per attempt


def test_data_that_keeps_changing_ends_in_plan_conflict_and_nothing_is_stored(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, staff: Caller
) -> None:
    world = build(runtime)
    with runtime.sessions() as db:
        trip_id = db.scalar(
            select(TripPassenger.trip_id).where(TripPassenger.attendee_id == world["late"][0])
        )

    def driver_acts(_n: int) -> None:  # e.g. the driver's phone touches the trip every time
        other_connection(runtime, "UPDATE trip SET version = version + 1 WHERE id = ?", trip_id)

    plans = solving_with(monkeypatch, driver_acts)
    before = stored(runtime)
    res = staff.post(
        f"/api/flights/{world['leg']}/estimate", json={"estimated_at": "2026-12-08T11:00:00+08:00"}
    )
    assert (res.status_code, res.json["error"]) == (409, "plan_conflict")
    assert len(plans) == service.ATTEMPTS * DELAY_SOLVES
    trips, seats, times, last_event = stored(runtime)
    assert (seats, times, last_event) == before[1:]  # no seat, time or event of the failed run
    bumped = {t.id: t.version for t in before[0]}
    bumped[trip_id] += len(plans)  # only the other connection's own changes
    assert {t.id: t.version for t in trips} == bumped
