"""A delay keeps promised pickups unless the trip no longer works or a wider plan is better for
everyone affected (transport.delays).

The world (test_replan.build): three guests on MF8101 (domestic, lands 08:00 local, ready
08:25) and two on CA1234 (lands 08:10, ready 08:35) share one van to H1, which leaves at the
later ready time; two guests to H2 ride in another car.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.runtime import Runtime
from models import DomainEvent, Hotel, Trip, TripPassenger
from models.db import transaction
from tests.conftest import Caller
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_leg,
    make_passengers,
    make_stay,
)
from tests.transport.test_replan import build
from transport.delays import change_estimate
from transport.service import plan_pickups

READY_LATE, READY_EARLY = SUMMIT + timedelta(minutes=25), SUMMIT + timedelta(minutes=35)


def trips(runtime: Runtime) -> dict[int, tuple[int, int, datetime, str, frozenset[int]]]:
    """trip id -> (id, version, hub time, state, riders) of every trip."""
    with runtime.sessions() as db:
        riders: dict[int, set[int]] = {}
        for trip_id, attendee_id in db.execute(
            select(TripPassenger.trip_id, TripPassenger.attendee_id)
        ):
            riders.setdefault(trip_id, set()).add(attendee_id)
        return {
            t.id: (t.id, t.version, t.starts_at, t.state, frozenset(riders.get(t.id, ())))
            for t in db.scalars(select(Trip))
        }


def trip_of(runtime: Runtime, attendee_id: int) -> Trip:
    with runtime.sessions() as db:
        trip = db.scalar(
            select(Trip)
            .join(TripPassenger, TripPassenger.trip_id == Trip.id)
            .where(TripPassenger.attendee_id == attendee_id, Trip.state != "cancelled")
        )
        assert trip is not None
        return trip


def ids(world: dict[str, list[Any]], *groups: str) -> list[int]:
    return sorted(p.id for g in groups for p in world[g])


def delay(runtime: Runtime, world: dict[str, list[Any]], minutes: int) -> dict[str, object]:
    with transaction(runtime.sessions) as db:
        leg = world["legs"][0].id
        report = change_estimate(db, leg, SUMMIT + timedelta(minutes=minutes), "staff:1", now=NOW)
    return report.decision


def test_the_world_shares_one_van_leaving_when_the_later_flight_is_ready(runtime: Runtime) -> None:
    world = build(runtime)
    van = trip_of(runtime, world["late"][0].id)
    assert van.starts_at == READY_EARLY
    assert {trip_of(runtime, i).id for i in ids(world, "late", "early")} == {van.id}


def test_a_delay_that_keeps_the_promise_changes_no_trip(runtime: Runtime) -> None:
    world = build(runtime)
    before = trips(runtime)
    with runtime.sessions() as db:
        last = db.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1))
    decision = delay(runtime, world, 5)  # ready 08:30, the van leaves 08:35: still works
    assert trips(runtime) == before  # same trips, versions, times, states and riders
    assert decision["moved"] == []
    assert decision["kept"] == ids(world, "late", "early")
    assert decision["wider"] == "refused" and decision["shorter"] == []
    with runtime.sessions() as db:
        events = db.scalars(select(DomainEvent).where(DomainEvent.id > last)).all()
    assert [e.name for e in events] == ["flight_estimate_changed"]  # no trip event
    told = json.loads(events[0].payload)["replan"]
    assert told["kept"] == decision["kept"] and "kept" in told["reason"]
    assert told["reason_zh"]


def test_a_delay_that_breaks_the_promise_moves_only_the_delayed_guests(runtime: Runtime) -> None:
    world = build(runtime)
    before = trips(runtime)
    van = trip_of(runtime, world["early"][0].id)
    decision = delay(runtime, world, 20)  # ready 08:45: the 08:35 van has left
    assert decision["moved"] == ids(world, "late")
    assert decision["kept"] == ids(world, "early")
    after = trips(runtime)
    kept = after[van.id]
    assert (kept[2], kept[3], kept[4]) == (van.starts_at, van.state, frozenset(ids(world, "early")))
    assert kept[1] == van.version + 1  # the driver is told two riders fewer
    for trip_id, row in before.items():  # every other trip untouched
        if trip_id != van.id:
            assert after[trip_id] == row
    moved = {trip_of(runtime, i).id for i in ids(world, "late")}
    assert len(moved) == 1 and moved.isdisjoint(before)
    assert trip_of(runtime, world["late"][0].id).starts_at == SUMMIT + timedelta(minutes=45)


def test_a_wider_plan_that_lengthens_a_wait_is_refused(runtime: Runtime) -> None:
    world = build(runtime)
    van = trip_of(runtime, world["early"][0].id)
    decision = delay(runtime, world, 20)
    # Planned again together, all five would share one van at 08:45 (fewer vehicle hours):
    # the CA1234 guests would wait 10 min instead of 0, so it is refused.
    assert decision["wider"] == "refused"
    assert decision["longer"] == ids(world, "early")
    assert "lengthen" in str(decision["reason"])
    assert trip_of(runtime, world["early"][0].id).starts_at == van.starts_at


def test_a_wider_plan_shortening_waits_and_lengthening_none_is_taken(runtime: Runtime) -> None:
    world = build(runtime)
    van = trip_of(runtime, world["early"][0].id)
    with runtime.sessions() as db:
        leg = db.scalar(
            select(TripPassenger.flight_id).where(TripPassenger.attendee_id == world["early"][0].id)
        )
        assert leg is not None
    with transaction(runtime.sessions) as db:
        # CA1234 lands 10 min early: everyone is ready at 08:25; the 08:35 van still works.
        report = change_estimate(db, leg, SUMMIT, "staff:1", now=NOW)
    d = report.decision
    assert d["moved"] == [] and d["wider"] == "accepted" and d["longer"] == []
    assert d["shorter"] == ids(world, "late", "early")
    assert {trip_of(runtime, i).starts_at for i in ids(world, "late", "early")} == {READY_LATE}
    assert trip_of(runtime, world["late"][0].id).id == van.id  # the same van, earlier


def test_a_moved_guest_takes_a_free_seat_in_a_trip_going_their_way(
    runtime: Runtime, staff: Caller
) -> None:
    world = build(runtime)
    with transaction(runtime.sessions) as db:
        (later,) = make_passengers(db, runtime.pii, 1)
        h1 = db.scalar(select(Hotel).where(Hotel.code == "H1"))
        assert h1 is not None
        make_stay(db, later, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
        make_leg(db, later, SUMMIT + timedelta(minutes=60), number="MU5001")  # ready 09:25
        db.info["plate"] = [900]  # plates 100.. are the world's
        make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    spare = trip_of(runtime, later.id)
    assert spare.starts_at == SUMMIT + timedelta(minutes=85)
    before = trips(runtime)
    leg = world["legs"][0].id
    # Through the API: MF8101 lands 60 min late, its guests are ready at 09:25 too.
    res = staff.post(
        f"/api/flights/{leg}/estimate", json={"estimated_at": "2026-12-08T09:00:00+08:00"}
    )
    assert res.status_code == 200, res.json
    d = res.json["decision"]
    assert d["moved"] == ids(world, "late") and res.json["trips_created"] == 0
    assert {trip_of(runtime, i).id for i in ids(world, "late")} == {spare.id}
    after = trips(runtime)
    assert after[spare.id][2] == spare.starts_at  # the seat's trip keeps its time
    assert after[spare.id][4] == frozenset([later.id, *ids(world, "late")])
    assert len(after) == len(before)
