"""The hotel kiosk and staff desk over HTTP: the flow, bad input with codes, nothing changed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from checkin.codes import issue_code
from core.clock import to_local, utcnow
from core.runtime import Runtime
from hotel.clock import hotel_night
from models import Alert, Hotel, Room, Stay
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay, snapshot

TONIGHT = hotel_night(utcnow())
NIGHTS = [TONIGHT, TONIGHT + timedelta(days=1)]


@dataclass
class World:
    hotel_id: int
    other_hotel_id: int
    guest: int  # attendee with a reservation here
    stay: int
    elsewhere: int  # attendee with a reservation at the other hotel
    nobody: int  # attendee with no reservation
    desk: Caller


@pytest.fixture
def world(app: Flask, runtime: Runtime) -> World:
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=NIGHTS)
        there = make_hotel(db, "THERE", nights=NIGHTS)
        people = [make_attendee(db, runtime.pii).id for _ in range(3)]
        dates = {"check_in_date": TONIGHT, "check_out_date": NIGHTS[-1] + timedelta(days=1)}
        stay = make_stay(db, people[0], here, **dates).id
        make_stay(db, people[1], there, **dates)
        ids = here.id, there.id
    desk = device_caller(app, runtime, "hotel_desk", hotel_id=ids[0])
    return World(ids[0], ids[1], people[0], stay, people[1], people[2], desk)


def identify(rt: Runtime, desk: Caller, attendee_id: int) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = desk.post("/api/hotel/kiosk/identify", json={"code": issue_code(rt, attendee_id)})
    return res.status_code, res.json


def state(rt: Runtime) -> dict:  # type: ignore[type-arg]
    with transaction(rt.sessions) as db:
        return snapshot(db)


def test_guest_checks_in_and_out_at_the_kiosk_with_an_entrance_code(
    runtime: Runtime, world: World
) -> None:
    status, found = identify(runtime, world.desk, world.guest)
    assert status == 200 and found["action"] == "check_in"
    assert found["reservation"]["name"] == "张*三" and found["reservation"]["room"] is None
    res = world.desk.post("/api/hotel/kiosk/check-in", json={"ticket": found["ticket"]})
    assert res.status_code == 200, res.json
    assert res.json["room"] and res.json["key"]["pin"].isdigit()
    assert res.json["wifi"]["ssid"] == "HERE-Guest"
    assert res.json["key"]["qr_png"].startswith("data:image/png;base64,")
    status, again = identify(runtime, world.desk, world.guest)
    assert again["action"] == "check_out" and again["reservation"]["room"] == res.json["room"]
    out = world.desk.post("/api/hotel/kiosk/check-out", json={"ticket": again["ticket"]})
    assert out.status_code == 200 and out.json["state"] == "checked_out"
    # Nights from today on go back; a night already begun (after midnight) stays used.
    today = to_local(utcnow()).date()
    assert out.json["nights_released"] == len([n for n in NIGHTS if n >= today])


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("nobody", 404, "reservation_not_found"), ("elsewhere", 409, "wrong_hotel")],
)
def test_kiosk_refuses_guests_without_a_reservation_here(
    runtime: Runtime, world: World, who: str, status: int, code: str
) -> None:
    before = state(runtime)
    got, body = identify(runtime, world.desk, getattr(world, who))
    assert (got, body["error"]) == (status, code)
    if code == "wrong_hotel":
        assert body["hotel"] == "THERE"
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("code", "error"),
    [("SC1.AAAA", "code_malformed"), ("hello", "code_malformed")],
)
def test_damaged_entrance_codes_are_refused(world: World, code: str, error: str) -> None:
    res = world.desk.post("/api/hotel/kiosk/identify", json={"code": code})
    assert (res.status_code, res.json["error"]) == (400, error)


def test_expired_entrance_code_is_refused(runtime: Runtime, world: World) -> None:
    old = issue_code(runtime, world.guest, now=utcnow() - timedelta(minutes=5))
    res = world.desk.post("/api/hotel/kiosk/identify", json={"code": old})
    assert res.json["error"] == "code_expired"


def test_a_check_in_ticket_cannot_check_the_guest_out_and_is_not_spent(
    runtime: Runtime, world: World
) -> None:
    _status, found = identify(runtime, world.desk, world.guest)
    before = state(runtime)
    res = world.desk.post("/api/hotel/kiosk/check-out", json={"ticket": found["ticket"]})
    assert (res.status_code, res.json["error"]) == (409, "not_checked_in")
    assert state(runtime) == before
    res = world.desk.post("/api/hotel/kiosk/check-in", json={"ticket": found["ticket"]})
    assert res.status_code == 200, res.json


def test_check_out_before_check_in_is_refused_and_changes_nothing(
    runtime: Runtime, world: World, staff: Caller
) -> None:
    before = state(runtime)
    res = staff.post(f"/api/hotel/stays/{world.stay}/check-out")
    assert (res.status_code, res.json["error"]) == (409, "not_checked_in")
    assert state(runtime) == before


def test_room_of_another_hotel_is_refused_and_changes_nothing(
    runtime: Runtime, world: World, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        foreign = db.scalar(select(Room.id).where(Room.hotel_id == world.other_hotel_id))
    before = state(runtime)
    for url in (f"/api/hotel/stays/{world.stay}/check-in", f"/api/hotel/stays/{world.stay}/assign"):
        res = staff.post(url, json={"room_id": foreign})
        assert (res.status_code, res.json["error"]) == (400, "room_wrong_hotel")
    assert state(runtime) == before


def test_unknown_reservation_and_room_are_refused(world: World, staff: Caller) -> None:
    res = staff.post("/api/hotel/stays/999999/check-in", json={})
    assert (res.status_code, res.json["error"]) == (404, "stay_not_found")
    res = staff.post(f"/api/hotel/stays/{world.stay}/check-in", json={"room_id": 999999})
    assert (res.status_code, res.json["error"]) == (404, "room_not_found")
    res = staff.post(f"/api/hotel/stays/{world.stay}/check-in", json={"room_id": "12"})
    assert (res.status_code, res.json["error"]) == (400, "validation_error")


def test_staff_desk_check_in_into_a_chosen_room_and_a_taken_room(
    runtime: Runtime, world: World, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = db.get(Hotel, world.hotel_id)
        assert hotel is not None
        other = make_stay(
            db,
            world.nobody,
            hotel,
            check_in_date=TONIGHT,
            check_out_date=TONIGHT + timedelta(days=1),
        ).id
    first = staff.post(f"/api/hotel/stays/{world.stay}/check-in", json={}).json
    with transaction(runtime.sessions) as db:
        taken = db.scalar(
            select(Room.id).where(Room.hotel_id == world.hotel_id, Room.number == first["room"])
        )
    before = state(runtime)
    res = staff.post(f"/api/hotel/stays/{other}/check-in", json={"room_id": taken})
    assert (res.status_code, res.json["error"]) == (409, "room_taken")
    assert state(runtime) == before


def test_devices_other_than_hotel_desks_cannot_use_the_kiosk_api(
    app: Flask, runtime: Runtime, kiosk: Caller
) -> None:
    res = kiosk.post("/api/hotel/kiosk/identify", json={"code": "x"})
    assert (res.status_code, res.json["error"]) == (403, "forbidden")
    unlinked = device_caller(app, runtime, "hotel_desk", "desk-unlinked")
    res = unlinked.post("/api/hotel/kiosk/identify", json={"code": "x"})
    assert (res.status_code, res.json["error"]) == (403, "device_not_bound")
    res = unlinked.post("/api/hotel/kiosk/check-in", json={"ticket": "x" * 40})
    assert (res.status_code, res.json["error"]) == (403, "device_not_bound")


def test_identify_needs_exactly_one_of_a_ticket_a_code_or_an_image(world: World) -> None:
    for body in ({}, {"ticket": "x" * 40, "code": "SC1.AAAA"}):
        res = world.desk.post("/api/hotel/kiosk/identify", json=body)
        assert (res.status_code, res.json["error"]) == (400, "validation_error")
    empty = {"image": (io.BytesIO(b""), "face.jpg")}
    res = world.desk.post("/api/hotel/kiosk/identify", data=empty)
    assert (res.status_code, res.json["error"]) == (400, "empty_image")


def test_rooms_short_answers_409_and_the_alert_is_kept(
    runtime: Runtime, world: World, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        for room in db.scalars(select(Room).where(Room.hotel_id == world.hotel_id)):
            room.out_of_order = True
    res = staff.post(f"/api/hotel/stays/{world.stay}/check-in", json={})
    assert (res.status_code, res.json["error"]) == (409, "rooms_short")
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "hotel_rooms_short")) == 1
        assert db.get(Stay, world.stay).state == "reserved"  # type: ignore[union-attr]


def test_staff_see_occupancy_and_masked_arrivals(
    runtime: Runtime, world: World, staff: Caller, security: Caller
) -> None:
    staff.post(f"/api/hotel/stays/{world.stay}/check-in", json={})
    res = security.get(f"/api/hotel/occupancy?night={TONIGHT.isoformat()}")
    here = next(h for h in res.json["hotels"] if h["hotel"]["code"] == "HERE")
    assert here["guests_in"] == 1 and here["assigned"] == 1 and here["arrivals_checked_in"] == 1
    assert here["rooms"] == 7 and here["short"] == 0
    res = staff.get(f"/api/hotel/hotels/{world.hotel_id}/guests?list=arrivals")
    assert [g["name"] for g in res.json["guests"]] == ["张*三"]
    res = staff.get(f"/api/hotel/hotels/{world.hotel_id}/guests?list=everything")
    assert res.json["error"] == "invalid_list"
    res = staff.get("/api/hotel/occupancy?night=tomorrow")
    assert res.json["error"] == "validation_error"


def test_kiosk_cannot_read_staff_views(world: World) -> None:
    assert world.desk.get("/api/hotel/occupancy").status_code == 403
