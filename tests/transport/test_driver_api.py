"""The driver's HTTP API: own trips only, the trip's steps, boarding by code, journey stages."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from checkin.codes import issue_code
from checkin.journey import timeline
from core.accounts import set_device_liveness
from core.clock import utcnow
from core.runtime import Runtime
from models import Attendee, Driver, Trip, TripPassenger
from models.db import transaction
from models.events import DomainEvent
from models.venue import CodeUse
from tests.conftest import Caller, device_caller
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport import board
from transport.service import plan_departures, plan_pickups
from transport.trips import advance_trip, board_passenger
from web.extensions import socketio


@dataclass
class World:
    mine: Trip
    other: Trip
    riders: list[Attendee]
    driver: Caller
    other_driver: Caller


@pytest.fixture
def world(app: Flask, runtime: Runtime) -> World:
    with transaction(runtime.sessions) as db:
        h1, h2 = make_hotel(db, "H1"), make_hotel(db, "H2")
        riders = make_passengers(db, runtime.pii, 2)
        stranger = make_passengers(db, runtime.pii, 1)[0]
        for p in riders:
            make_stay(db, p, h1, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
            make_leg(db, p, SUMMIT)
        make_stay(db, stranger, h2, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
        make_leg(db, stranger, SUMMIT)
        d1, d2 = make_driver(db), make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        trips = {t.driver_id: t for t in db.scalars(select(Trip))}
    return World(
        trips[d1.id],
        trips[d2.id],
        riders,
        device_caller(app, runtime, "driver", "phone-1", driver_id=trips[d1.id].driver_id),
        device_caller(app, runtime, "driver", "phone-2", driver_id=trips[d2.id].driver_id),
    )


def test_a_driver_sees_only_their_own_trips(world: World) -> None:
    res = world.driver.get("/api/driver/trips")
    assert res.status_code == 200
    assert [t["id"] for t in res.json["trips"]] == [world.mine.id]
    names = [p["name"] for p in res.json["trips"][0]["passengers"]]
    assert names == ["张*三", "张*三"]  # masked
    denied = world.driver.get(f"/api/driver/trips/{world.other.id}")
    assert (denied.status_code, denied.json["error"]) == (403, "not_your_trip")


def test_a_driver_cannot_move_another_drivers_trip(world: World, runtime: Runtime) -> None:
    res = world.driver.post(f"/api/driver/trips/{world.other.id}/accept")
    assert (res.status_code, res.json["error"]) == (403, "not_your_trip")
    with runtime.sessions() as db:
        assert db.get(Trip, world.other.id).state == "assigned"


def test_roles_are_kept_apart(world: World, staff: Caller, app: Flask, runtime: Runtime) -> None:
    assert staff.get("/api/driver/trips").status_code == 403
    assert world.driver.get("/api/transport/arrivals-board").status_code == 403
    res = world.driver.post(
        "/api/flights/1/estimate", json={"estimated_at": "2026-12-08T12:00:00+08:00"}
    )
    assert (res.status_code, res.json["error"]) == (403, "forbidden")
    kiosk = device_caller(app, runtime, "kiosk")
    assert kiosk.post("/api/transport/plan", json={"kind": "pickup"}).status_code == 403
    desk = device_caller(app, runtime, "airport_desk")
    board_res = desk.get("/api/transport/arrivals-board?hours=4")
    assert board_res.status_code == 200 and "flights" in board_res.json


def test_a_pickup_goes_from_accepted_to_dropped_off_and_records_the_journey(
    world: World,
    runtime: Runtime,
) -> None:
    trip, (rider, absent) = world.mine.id, world.riders
    for action in ("accept", "arrive"):
        assert world.driver.post(f"/api/driver/trips/{trip}/{action}").status_code == 200
    early = world.driver.post(f"/api/driver/trips/{trip}/depart")
    assert (early.status_code, early.json["error"]) == (409, "passengers_waiting")
    code = issue_code(runtime, rider.id)
    res = world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "code", "code": code},
    )
    assert res.status_code == 200, res.json
    res = world.driver.post(f"/api/driver/trips/{trip}/no-show", json={"attendee_id": absent.id})
    assert res.status_code == 200
    for action in ("depart", "drop_off"):
        res = world.driver.post(f"/api/driver/trips/{trip}/{action}")
        assert res.status_code == 200, res.json
    assert res.json["state"] == "dropped_off"
    with runtime.sessions() as db:
        stages = [s["stage"] for s in timeline(db, rider.id)]
        assert stages == ["registered", "arrived", "picked_up"]
        assert [s["stage"] for s in timeline(db, absent.id)] == ["registered"]
        states = dict(db.execute(select(TripPassenger.attendee_id, TripPassenger.state)).all())
        assert (states[rider.id], states[absent.id]) == ("dropped_off", "no_show")


def test_a_trip_nobody_came_to_is_closed_and_the_console_is_told(
    world: World, runtime: Runtime
) -> None:
    trip, riders = world.mine.id, world.riders
    for action in ("accept", "arrive"):
        assert world.driver.post(f"/api/driver/trips/{trip}/{action}").status_code == 200
    early = world.driver.post(f"/api/driver/trips/{trip}/close")
    assert (early.status_code, early.json["error"]) == (409, "passengers_waiting")
    for rider in riders:
        res = world.driver.post(f"/api/driver/trips/{trip}/no-show", json={"attendee_id": rider.id})
        assert res.status_code == 200, res.json
    stuck = world.driver.post(f"/api/driver/trips/{trip}/depart")
    assert (stuck.status_code, stuck.json["error"]) == (409, "nobody_on_board")
    closed = world.driver.post(f"/api/driver/trips/{trip}/close")
    assert closed.status_code == 200, closed.json
    assert closed.json["state"] == "cancelled"
    with runtime.sessions() as db:
        told = db.scalars(
            select(DomainEvent).where(DomainEvent.name == "trip_closed_no_show")
        ).all()
        assert len(told) == 1 and "console" in told[0].rooms.split()
        assert sorted(json.loads(told[0].payload)["attendee_ids"]) == sorted(r.id for r in riders)


def test_a_trip_with_someone_on_board_cannot_be_closed_empty(
    world: World, runtime: Runtime
) -> None:
    trip, (rider, absent) = world.mine.id, world.riders
    for action in ("accept", "arrive"):
        world.driver.post(f"/api/driver/trips/{trip}/{action}")
    world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "code", "code": issue_code(runtime, rider.id)},
    )
    world.driver.post(f"/api/driver/trips/{trip}/no-show", json={"attendee_id": absent.id})
    res = world.driver.post(f"/api/driver/trips/{trip}/close")
    assert (res.status_code, res.json["error"]) == (409, "riders_on_board")
    with runtime.sessions() as db:
        assert db.get(Trip, trip).state == "at_pickup"  # type: ignore[union-attr]


def test_someone_elses_entrance_code_does_not_board_a_passenger(
    world: World,
    runtime: Runtime,
) -> None:
    trip, (rider, other) = world.mine.id, world.riders
    world.driver.post(f"/api/driver/trips/{trip}/accept")
    world.driver.post(f"/api/driver/trips/{trip}/arrive")
    res = world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "code", "code": issue_code(runtime, other.id)},
    )
    assert (res.status_code, res.json["error"]) == (400, "code_mismatch")
    garbage = world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "code", "code": "SC1.not-a-code"},
    )
    assert garbage.json["error"] == "code_mismatch"
    with runtime.sessions() as db:
        seat = db.scalar(select(TripPassenger).where(TripPassenger.attendee_id == rider.id))
        assert seat.state == "waiting" and [s["stage"] for s in timeline(db, rider.id)] == [
            "registered"
        ]


def test_an_entrance_code_boards_once_and_its_replay_is_refused(
    world: World, runtime: Runtime
) -> None:
    trip, (rider, _) = world.mine.id, world.riders
    world.driver.post(f"/api/driver/trips/{trip}/accept")
    world.driver.post(f"/api/driver/trips/{trip}/arrive")
    code = issue_code(runtime, rider.id)
    body = {"attendee_id": rider.id, "method": "code", "code": code}
    assert world.driver.post(f"/api/driver/trips/{trip}/board", json=body).status_code == 200
    replay = world.driver.post(f"/api/driver/trips/{trip}/board", json=body)
    assert (replay.status_code, replay.json["error"]) == (409, "code_replayed")
    with runtime.sessions() as db:
        (use,) = db.scalars(select(CodeUse)).all()
        assert (use.attendee_id, use.place, use.gate_id) == (rider.id, f"trip:{trip}", None)
        assert [s["stage"] for s in timeline(db, rider.id)].count("picked_up") == 1


def test_a_code_refused_at_the_car_is_not_used_up(world: World, runtime: Runtime) -> None:
    rider = world.riders[0]
    code = issue_code(runtime, rider.id)
    body = {"attendee_id": rider.id, "method": "code", "code": code}
    early = world.driver.post(f"/api/driver/trips/{world.mine.id}/board", json=body)
    assert (early.status_code, early.json["error"]) == (409, "not_at_pickup")
    with runtime.sessions() as db:
        assert db.scalars(select(CodeUse)).all() == []


def test_a_driver_phone_with_liveness_on_boards_by_code_not_by_photo(
    world: World, runtime: Runtime
) -> None:
    trip, rider = world.mine.id, world.riders[0]
    world.driver.post(f"/api/driver/trips/{trip}/accept")
    world.driver.post(f"/api/driver/trips/{trip}/arrive")
    with transaction(runtime.sessions) as db:
        set_device_liveness(db, world.driver.principal_id, True, "test", "policy check")
    photo = base64.b64encode(b"any photo bytes").decode()
    res = world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "face", "photo": photo},
    )
    assert (res.status_code, res.json["error"]) == (400, "liveness_required")
    code = world.driver.post(
        f"/api/driver/trips/{trip}/board",
        json={"attendee_id": rider.id, "method": "code", "code": issue_code(runtime, rider.id)},
    )
    assert code.status_code == 200, code.json


def test_boarding_before_reaching_the_pickup_point_is_refused(
    world: World, runtime: Runtime
) -> None:
    rider = world.riders[0]
    res = world.driver.post(
        f"/api/driver/trips/{world.mine.id}/board",
        json={"attendee_id": rider.id, "method": "code", "code": issue_code(runtime, rider.id)},
    )
    assert (res.status_code, res.json["error"]) == (409, "not_at_pickup")


def test_dropping_off_a_departure_records_departed(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        (person,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, person, SUMMIT + timedelta(hours=8), kind="departure", number="MU5101")
        driver = make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_departures(db, now=NOW)
        trip = db.scalar(select(Trip))
        for action in ("accept", "arrive"):
            advance_trip(db, driver.id, trip.id, action)
        board_passenger(db, driver.id, trip.id, person.id, "code")
        advance_trip(db, driver.id, trip.id, "depart")
        advance_trip(db, driver.id, trip.id, "drop_off")
        assert [s["stage"] for s in timeline(db, person.id)] == ["registered", "departed"]


def test_the_arrivals_board_counts_waiting_and_stranded_passengers(
    world: World,
    runtime: Runtime,
    staff: Caller,
) -> None:
    with transaction(runtime.sessions) as db:
        (late,) = make_passengers(db, runtime.pii, 1)
        make_leg(db, late, SUMMIT, number="MF8101")  # same flight, no trip yet
    with runtime.sessions() as db:
        data = board.arrivals_board(db, now=SUMMIT)
        stranded = board.passengers_without_trip(db)
        silent = board.drivers_not_accepted(db, now=SUMMIT - timedelta(hours=1))
    (row,) = data["flights"]
    assert (row["passengers"], row["waiting"], row["without_trip"]) == (4, 3, 1)
    assert [p["attendee_id"] for p in stranded] == [late.id]
    assert {d["trip_id"] for d in silent} == {world.mine.id, world.other.id}
    assert all(not d["received"] for d in silent)  # no phone acknowledged yet
    res = staff.get("/api/transport/without-trip")
    assert [p["name"] for p in res.json["passengers"]] == ["张*三"]


def test_an_estimate_from_the_airport_desk_replans_and_bad_input_gets_a_code(
    world: World,
    app: Flask,
    runtime: Runtime,
) -> None:
    with runtime.sessions() as db:
        leg_id = db.scalar(
            select(TripPassenger.flight_id).where(TripPassenger.trip_id == world.mine.id)
        )
    desk = device_caller(app, runtime, "airport_desk")
    bad = desk.post(f"/api/flights/{leg_id}/estimate", json={"estimated_at": "tomorrow"})
    assert (bad.status_code, bad.json["error"]) == (400, "validation_error")
    missing = desk.post(
        "/api/flights/99999/estimate", json={"estimated_at": "2026-12-08T12:00:00+08:00"}
    )
    assert (missing.status_code, missing.json["error"]) == (404, "flight_not_found")
    res = desk.post(
        f"/api/flights/{leg_id}/estimate", json={"estimated_at": "2026-12-08T10:30:00+08:00"}
    )
    assert res.status_code == 200, res.json
    assert res.json["trips_updated"] + res.json["trips_created"] >= 1


def test_a_landing_records_everyone_on_the_flight_as_arrived(
    world: World,
    app: Flask,
    runtime: Runtime,
) -> None:
    with runtime.sessions() as db:
        leg_id = db.scalar(
            select(TripPassenger.flight_id).where(TripPassenger.trip_id == world.mine.id)
        )
    desk = device_caller(app, runtime, "airport_desk")
    tomorrow = (utcnow() + timedelta(days=1)).isoformat() + "+00:00"  # inside the summit window
    future = desk.post(f"/api/flights/{leg_id}/landed", json={"landed_at": tomorrow})
    assert (future.status_code, future.json["error"]) == (400, "time_in_future")
    res = desk.post(f"/api/flights/{leg_id}/landed", json={})
    assert res.status_code == 200 and res.json["passengers"] == 3  # the whole flight
    with runtime.sessions() as db:
        for rider in world.riders:
            assert [s["stage"] for s in timeline(db, rider.id)] == ["registered", "arrived"]
    late = desk.post(f"/api/flights/{leg_id}/estimate", json={"estimated_at": tomorrow})
    assert (late.status_code, late.json["error"]) == (409, "flight_landed")


def test_staff_plan_over_http_and_a_kiosk_reads_an_attendees_pickup(
    world: World,
    staff: Caller,
    kiosk: Caller,
    runtime: Runtime,
) -> None:
    res = staff.post("/api/transport/plan", json={"kind": "departure"})
    assert res.status_code == 200 and res.json["kind"] == "departure"
    bad = staff.post("/api/transport/plan", json={"kind": "teleport"})
    assert (bad.status_code, bad.json["error"]) == (400, "validation_error")
    rider = world.riders[0]
    found = kiosk.post(
        "/api/recognition/identify-code",
        json={"code": issue_code(runtime, rider.id), "purpose": "journey"},
    )
    trips_res = kiosk.get(
        f"/api/transport/attendees/{rider.id}/trips", query_string={"ticket": found.json["ticket"]}
    )
    assert trips_res.status_code == 200, trips_res.json
    (trip,) = trips_res.json["trips"]
    assert trip["id"] == world.mine.id
    assert [p["attendee_id"] for p in trip["passengers"]] == [rider.id]  # not the co-riders


def test_a_vehicle_without_seats_is_refused_over_http(staff: Caller, runtime: Runtime) -> None:
    res = staff.post("/api/vehicles", json={"plate": "闽A12345", "kind": "van", "capacity": 0})
    assert (res.status_code, res.json["error"]) == (400, "invalid_capacity")
    ok = staff.post("/api/vehicles", json={"plate": "闽A12345", "kind": "van", "capacity": 7})
    assert ok.status_code == 201
    again = staff.post("/api/vehicles", json={"plate": "闽A12345", "kind": "van", "capacity": 7})
    assert (again.status_code, again.json["error"]) == (409, "duplicate_vehicle")


def _room_events(runtime: Runtime, room: str) -> list[int]:
    with runtime.sessions() as db:
        rows = db.execute(select(DomainEvent.id, DomainEvent.rooms).order_by(DomainEvent.id))
        return [seq for seq, rooms in rows if room in rooms.split()]


def _acked_seq(runtime: Runtime, driver_id: int) -> int:
    with runtime.sessions() as db:
        driver = db.get(Driver, driver_id)
        assert driver is not None
        return driver.acked_seq


def test_a_driver_acks_only_events_sent_to_it_and_only_forward(
    world: World, runtime: Runtime
) -> None:
    me, other = world.mine.driver_id, world.other.driver_id
    assert me is not None and other is not None
    mine = _room_events(runtime, f"driver:{me}")
    theirs = _room_events(runtime, f"driver:{other}")
    assert mine and theirs
    for seq in (theirs[-1], max(mine + theirs) + 1000):
        res = world.driver.post("/api/driver/ack", json={"seq": seq})
        assert (res.status_code, res.json["error"]) == (400, "ack_invalid")
    assert _acked_seq(runtime, me) == 0
    res = world.driver.post("/api/driver/ack", json={"seq": mine[-1]})
    assert (res.status_code, res.json["acked_seq"]) == (200, mine[-1])
    back = world.driver.post("/api/driver/ack", json={"seq": 0})  # a late retry of an old ack
    assert (back.status_code, back.json["acked_seq"]) == (200, mine[-1])
    assert _acked_seq(runtime, me) == mine[-1]


def test_a_driver_socket_acks_only_events_sent_to_it(
    app: Flask, world: World, runtime: Runtime
) -> None:
    me, other = world.mine.driver_id, world.other.driver_id
    assert me is not None and other is not None
    token = world.driver.headers["Authorization"].removeprefix("Bearer ")
    phone = socketio.test_client(app, namespace="/live", auth={"token": token})
    invented = phone.emit("trip_ack", {"seq": 10**6}, namespace="/live", callback=True)
    assert invented["error"] == "ack_invalid"
    theirs = _room_events(runtime, f"driver:{other}")[-1]
    stolen = phone.emit("trip_ack", {"seq": theirs}, namespace="/live", callback=True)
    assert stolen["error"] == "ack_invalid"
    assert _acked_seq(runtime, me) == 0
    mine = _room_events(runtime, f"driver:{me}")[-1]
    ack = phone.emit("trip_ack", {"seq": mine}, namespace="/live", callback=True)
    assert ack == {"acked_seq": mine}
