"""Staff reassign the no-show riders of a trip its driver closed: new trips from now (a late
rider is still driven), refusals with true reasons, audited, and nothing stored on failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import transport.reassign
from core.clock import SimClock, use_clock
from core.runtime import Runtime
from models import Alert, AuditEntry, Trip, TripPassenger
from models.db import transaction
from models.events import DomainEvent
from tests.conftest import Caller
from tests.console.no_shows import ClosedTrip, closed_trip
from tests.transport.helpers import (
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.reassign import reassign_no_shows
from transport.service import plan_pickups
from transport.trips import advance_trip, board_passenger, mark_no_show

LATE = SUMMIT + timedelta(hours=3)  # the riders' flight landed 3 h ago: their window is past


@pytest.fixture
def closed(runtime: Runtime) -> Iterator[ClosedTrip]:
    made = closed_trip(runtime)
    use_clock(SimClock(LATE, 1))
    yield made
    use_clock(None)


def _state(runtime: Runtime) -> dict[str, Any]:
    with runtime.sessions() as db:
        return {
            "seats": db.execute(
                select(
                    TripPassenger.trip_id, TripPassenger.attendee_id, TripPassenger.state
                ).order_by(TripPassenger.id)
            ).all(),
            "trips": db.execute(select(Trip.id, Trip.state, Trip.version).order_by(Trip.id)).all(),
            "audit": db.scalar(select(func.count(AuditEntry.id))),
            "events": db.scalar(select(func.count(DomainEvent.id))),
        }


def test_staff_reassign_late_no_shows_to_a_new_trip_from_now(
    closed: ClosedTrip, staff: Caller, runtime: Runtime
) -> None:
    res = staff.post(f"/api/console/trips/{closed.trip_id}/reassign")
    assert res.status_code == 200, res.json
    assert res.json["trip_id"] == closed.trip_id
    got = {r["attendee_id"]: r["trip_id"] for r in res.json["riders"]}
    assert set(got) == set(closed.rider_ids)
    assert all(got.values()) and closed.trip_id not in got.values()
    with runtime.sessions() as db:
        for rider, trip_id in got.items():
            trip = db.get(Trip, trip_id)
            assert trip is not None and trip.state == "assigned"
            assert LATE - timedelta(minutes=1) <= trip.starts_at <= LATE + timedelta(hours=1)
            seats = db.scalars(select(TripPassenger).where(TripPassenger.attendee_id == rider))
            assert [(s.trip_id, s.state) for s in seats] == [(trip_id, "waiting")]
        assert db.get(Trip, closed.trip_id).state == "cancelled"  # type: ignore[union-attr]
        assert db.get(Trip, closed.open_trip_id).state == "assigned"  # type: ignore[union-attr]
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "trip_no_shows_reassigned")
        ).one()
        assert entry.target == f"trip:{closed.trip_id}" and entry.actor.startswith("staff")
        told = db.scalars(
            select(DomainEvent).where(DomainEvent.name == "trip_no_shows_reassigned")
        ).one()
        assert "console" in told.rooms.split()
        assert json.loads(told.payload)["riders"] == res.json["riders"]
    again = staff.post(f"/api/console/trips/{closed.trip_id}/reassign")
    assert (again.status_code, again.json["error"]) == (409, "no_no_shows")


def test_riders_no_car_is_free_for_are_named_with_an_alert(
    closed: ClosedTrip, staff: Caller, runtime: Runtime
) -> None:
    use_clock(SimClock(SUMMIT + timedelta(hours=17), 1))  # after every driver's shift
    res = staff.post(f"/api/console/trips/{closed.trip_id}/reassign")
    assert res.status_code == 200, res.json
    for rider in res.json["riders"]:
        assert rider["trip_id"] is None and rider["reason"] == "no_vehicle_free"
        assert len(rider["window"]) == 2
    with runtime.sessions() as db:
        alerted = db.scalars(
            select(Alert.attendee_id).where(Alert.kind == "passenger_without_trip")
        ).all()
        assert sorted(a or 0 for a in alerted) == sorted(closed.rider_ids)
        left = select(func.count(TripPassenger.id)).where(TripPassenger.trip_id == closed.trip_id)
        assert db.scalar(left) == 0  # the no-show seats are gone


def test_refusals_say_why_and_store_nothing(
    closed: ClosedTrip, staff: Caller, security: Caller, runtime: Runtime
) -> None:
    before = _state(runtime)
    unknown = staff.post("/api/console/trips/999999/reassign")
    assert (unknown.status_code, unknown.json["error"]) == (404, "trip_not_found")
    running = staff.post(f"/api/console/trips/{closed.open_trip_id}/reassign")
    assert (running.status_code, running.json["error"]) == (409, "trip_not_closed")
    assert running.json["message"]
    denied = security.post(f"/api/console/trips/{closed.trip_id}/reassign")
    assert denied.status_code == 403
    assert _state(runtime) == before


def test_a_failure_after_planning_leaves_the_no_show_seats_in_place(
    closed: ClosedTrip, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(runtime)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit store is down")

    monkeypatch.setattr(transport.reassign, "audit", broken)
    with pytest.raises(RuntimeError), transaction(runtime.sessions) as db:
        reassign_no_shows(db, closed.trip_id, "staff:1")
    assert _state(runtime) == before


def test_a_rider_whose_window_is_ahead_keeps_it(closed: ClosedTrip, runtime: Runtime) -> None:
    use_clock(None)  # the wall clock: days before the summit, the flight not yet landed
    with transaction(runtime.sessions) as db:
        answer = reassign_no_shows(db, closed.trip_id, "staff:1")
    with runtime.sessions() as db:
        for rider in answer["riders"]:
            trip = db.get(Trip, rider["trip_id"])
            assert trip is not None
            assert SUMMIT + timedelta(minutes=25) <= trip.starts_at <= SUMMIT + timedelta(hours=1)


def test_a_no_show_left_behind_by_a_departed_trip_is_reassigned_too(
    runtime: Runtime, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        came, absent = make_passengers(db, runtime.pii, 2)
        for p in (came, absent):
            make_stay(db, p, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
            make_leg(db, p, SUMMIT)
        make_driver(db), make_driver(db)
        came_id, absent_id = came.id, absent.id
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=SUMMIT - timedelta(days=2))
    with transaction(runtime.sessions) as db:
        trip = db.scalars(select(Trip)).one()
        driver, trip_id = trip.driver_id or 0, trip.id
        for action in ("accept", "arrive"):
            advance_trip(db, driver, trip_id, action)
        board_passenger(db, driver, trip_id, came_id, "code")
        mark_no_show(db, driver, trip_id, absent_id)
    early = staff.post(f"/api/console/trips/{trip_id}/reassign")
    assert (early.status_code, early.json["error"]) == (409, "trip_not_closed")  # at the kerb
    with transaction(runtime.sessions) as db:
        advance_trip(db, driver, trip_id, "depart")
    res = staff.post(f"/api/console/trips/{trip_id}/reassign")
    assert res.status_code == 200, res.json
    [rider] = res.json["riders"]
    assert rider["attendee_id"] == absent_id and rider["trip_id"] not in (None, trip_id)
    with runtime.sessions() as db:
        states = db.execute(
            select(TripPassenger.attendee_id, TripPassenger.state).where(
                TripPassenger.trip_id == trip_id
            )
        ).all()
        assert [tuple(s) for s in states] == [(came_id, "on_board")]
