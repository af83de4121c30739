"""A flight's estimate changes: only the trips carrying it are re-planned, drivers are told."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from core.runtime import Runtime
from models import Alert, DomainEvent, Flight, Hotel, Stay, Trip, TripPassenger
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
from transport.delays import change_estimate
from transport.service import plan_pickups


def seats(runtime: Runtime) -> dict[int, Trip]:
    """attendee id -> their trip."""
    with runtime.sessions() as db:
        rows = db.execute(select(TripPassenger.attendee_id, Trip).join(Trip)).all()
        return {attendee_id: trip for attendee_id, trip in rows}


def build(runtime: Runtime) -> dict[str, list]:
    with transaction(runtime.sessions) as db:
        h1, h2 = make_hotel(db, "H1", airport=40), make_hotel(db, "H2", airport=30)
        late = make_passengers(db, runtime.pii, 3)
        early = make_passengers(db, runtime.pii, 2)
        elsewhere = make_passengers(db, runtime.pii, 2)
        for p in late + early:
            make_stay(db, p, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
        for p in elsewhere:
            make_stay(db, p, h2, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
        legs = [make_leg(db, p, SUMMIT, number="MF8101") for p in late]
        for p in early:
            make_leg(db, p, SUMMIT + timedelta(minutes=10), number="CA1234")
        for p in elsewhere:
            make_leg(db, p, SUMMIT, number="CZ3001")
        for _ in range(3):
            make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
    return {"late": late, "early": early, "elsewhere": elsewhere, "legs": legs}


def test_a_delay_moves_the_late_passengers_and_leaves_other_trips_alone(runtime: Runtime) -> None:
    world = build(runtime)
    before = seats(runtime)
    late_ids = [p.id for p in world["late"]]
    early_ids = [p.id for p in world["early"]]
    other = before[world["elsewhere"][0].id]
    assert {before[i].id for i in late_ids + early_ids} == {before[late_ids[0]].id}  # one van
    new_eta = SUMMIT + timedelta(hours=3)
    with transaction(runtime.sessions) as db:
        report = change_estimate(db, world["legs"][0].id, new_eta, "staff:1", now=NOW)
    after = seats(runtime)
    assert report.legs == 3  # the delayed three; the two who shared their van keep it
    assert {after[i].id for i in late_ids} != {after[i].id for i in early_ids}
    assert all(after[i].starts_at >= new_eta + timedelta(minutes=25) for i in late_ids)
    assert all(after[i].starts_at == before[i].starts_at for i in early_ids)
    unchanged = after[world["elsewhere"][0].id]
    assert (unchanged.id, unchanged.version, unchanged.starts_at) == (
        other.id,
        other.version,
        other.starts_at,
    )
    with runtime.sessions() as db:
        legs = db.scalars(select(Flight).where(Flight.number == "MF8101")).all()
        assert {leg.estimated_at for leg in legs} == {new_eta}  # every leg of that flight
        alert = db.scalar(select(Alert).where(Alert.kind == "flight_delayed"))
        assert alert is not None and "180 min" in alert.message


def test_the_driver_of_a_changed_trip_gets_the_new_version(runtime: Runtime) -> None:
    world = build(runtime)
    old_trip = seats(runtime)[world["late"][0].id]
    with runtime.sessions() as db:
        last = db.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1))
    with transaction(runtime.sessions) as db:
        change_estimate(db, world["legs"][0].id, SUMMIT + timedelta(hours=2), "staff:1", now=NOW)
    with runtime.sessions() as db:
        events = db.scalars(select(DomainEvent).where(DomainEvent.id > last)).all()
    to_driver = [e for e in events if f"driver:{old_trip.driver_id}" in e.rooms.split()]
    payloads = [json.loads(e.payload)["trip"] for e in to_driver]
    mine = [p for p in payloads if p["id"] == old_trip.id]
    assert mine and mine[-1]["version"] > old_trip.version
    assert [e.name for e in events if e.name == "flight_estimate_changed"]


def test_a_trip_that_has_departed_is_never_changed(runtime: Runtime) -> None:
    world = build(runtime)
    trip = seats(runtime)[world["late"][0].id]
    with transaction(runtime.sessions) as db:
        db.get(Trip, trip.id).state = "departed"
    with transaction(runtime.sessions) as db:
        report = change_estimate(db, world["legs"][0].id, SUMMIT + timedelta(hours=2), "t", now=NOW)
    assert report.trips_created == report.trips_updated == report.trips_cancelled == 0
    after = seats(runtime)[world["late"][0].id]
    assert (after.id, after.version, after.starts_at, after.state) == (
        trip.id,
        trip.version,
        trip.starts_at,
        "departed",
    )


def test_a_passenger_moved_to_another_hotel_rides_there_and_their_driver_hears_of_it(
    runtime: Runtime,
    staff: Caller,
) -> None:
    world = build(runtime)
    mover = world["early"][0]
    before = seats(runtime)[mover.id]
    with transaction(runtime.sessions) as db:
        h2 = db.scalar(select(Hotel).where(Hotel.code == "H2"))
        db.scalar(select(Stay).where(Stay.attendee_id == mover.id)).hotel_id = h2.id
    res = staff.post(f"/api/transport/attendees/{mover.id}/replan", json={"kind": "arrival"})
    assert res.status_code == 200, res.json
    after = seats(runtime)
    assert after[mover.id].hotel_id == h2.id
    assert after[world["early"][1].id].hotel_id == before.hotel_id  # the others still go to H1
    with runtime.sessions() as db:
        names = [
            e.name
            for e in db.scalars(
                select(DomainEvent).where(DomainEvent.rooms.contains(f"driver:{before.driver_id}"))
            )
        ]
    assert "trip_updated" in names or "trip_cancelled" in names
    missing = staff.post(f"/api/transport/attendees/{mover.id}/replan", json={"kind": "departure"})
    assert (missing.status_code, missing.json["error"]) == (404, "flight_not_found")
