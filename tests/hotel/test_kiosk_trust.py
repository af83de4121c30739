"""The hotel kiosk trusts only live identifications: no still photo at a liveness desk, no
replayed entrance code, and a key only on a fresh, single-use ticket issued to this desk.

Each refusal is checked for its code and for having stored nothing: stays, ledger, journey,
events, spent tickets and spent codes (`helpers.snapshot`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from checkin import identification
from checkin.codes import issue_code
from core.accounts import Principal
from core.runtime import Runtime
from models.auth import Device
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee, make_gate, make_zone
from tests.hotel.conftest import TONIGHT, FaceLobby, show
from tests.hotel.helpers import make_hotel, make_stay, snapshot


@dataclass
class Lobby:
    hotel_id: int
    other_hotel_id: int
    guest: int  # reservation here, tonight
    elsewhere: int  # reservation at the other hotel
    desk: Caller  # liveness on: the default for a hotel desk
    gate_id: int


@pytest.fixture
def lobby(app: Flask, runtime: Runtime) -> Lobby:
    dates = {"check_in_date": TONIGHT, "check_out_date": TONIGHT + timedelta(days=1)}
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=[TONIGHT])
        there = make_hotel(db, "THERE", nights=[TONIGHT])
        guest, elsewhere = (make_attendee(db, runtime.pii).id for _ in range(2))
        make_stay(db, guest, here, **dates)
        make_stay(db, elsewhere, there, **dates)
        gate_id = make_gate(db, make_zone(db), "A1").id
        ids = here.id, there.id
    desk = device_caller(app, runtime, "hotel_desk", "lobby-desk", hotel_id=ids[0])
    return Lobby(ids[0], ids[1], guest, elsewhere, desk, gate_id)


def state(rt: Runtime) -> dict:  # type: ignore[type-arg]
    with transaction(rt.sessions) as db:
        return snapshot(db)


def live_ticket(rt: Runtime, desk: Caller, attendee_id: int, purpose: str = "hotel") -> str:
    """What the desk's live camera stream hands the page when it recognises someone."""
    with transaction(rt.sessions) as db:
        device = db.get(Device, desk.principal_id)
        assert device is not None
        principal = Principal("device", device.id, device.kind, device.name)
        policy = identification.device_policy(db, principal)
    return identification.issue_ticket(rt, policy, purpose, attendee_id)


def check_in(desk: Caller, ticket: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    res = desk.post("/api/hotel/kiosk/check-in", json={"ticket": ticket})
    return res.status_code, res.json


def refused(desk: Caller, url: str, body: dict) -> tuple[int, str]:  # type: ignore[type-arg]
    res = desk.post(url, json=body)
    return res.status_code, res.json["error"]


def gate_scan(app: Flask, runtime: Runtime, gate_id: int, code: str) -> dict:  # type: ignore[type-arg]
    gate = device_caller(app, runtime, "gate", f"gate-{uuid.uuid4().hex[:6]}", gate_id=gate_id)
    body = {"method": "code", "code": code, "nonce": uuid.uuid4().hex}
    res = gate.post(f"/api/gates/{gate_id}/pass", json=body)
    assert res.status_code == 200, res.json
    return res.json  # type: ignore[no-any-return]


# -- still photos -----------------------------------------------------------------------------


@pytest.mark.slow
def test_still_photo_at_a_liveness_desk_is_refused_and_hands_out_no_key(
    app: Flask, runtime: Runtime, face_lobby: FaceLobby, faces_dir: Path
) -> None:
    desk = device_caller(app, runtime, "hotel_desk", "lobby-live", hotel_id=face_lobby.hotel_id)
    before = state(runtime)
    status, body = show(desk, faces_dir / "probe/obama1.jpg")
    assert (status, body["error"]) == (403, "liveness_required")
    assert "ticket" not in body
    assert state(runtime) == before
    # The same photo is a good one: a staff-watched desk recognises it.
    watched = device_caller(
        app, runtime, "hotel_desk", "lobby-watched", hotel_id=face_lobby.hotel_id, liveness=False
    )
    status, body = show(watched, faces_dir / "probe/obama1.jpg")
    assert status == 200 and body["reservation"]["attendee_id"] == face_lobby.people["obama"]
    # ... and its ticket, taken to the liveness desk, is another device's.
    assert check_in(desk, body["ticket"])[1]["error"] == "ticket_other_device"
    assert state(runtime) == before


# -- live camera tickets ----------------------------------------------------------------------


def test_a_live_camera_ticket_identifies_the_guest_and_checks_in_once(
    runtime: Runtime, lobby: Lobby
) -> None:
    ticket = live_ticket(runtime, lobby.desk, lobby.guest)
    res = lobby.desk.post("/api/hotel/kiosk/identify", json={"ticket": ticket})
    assert res.status_code == 200, res.json
    assert (res.json["ticket"], res.json["action"]) == (ticket, "check_in")
    assert res.json["ticket_seconds"] <= 120
    status, welcome = check_in(lobby.desk, ticket)
    assert status == 200 and welcome["key"]["pin"].isdigit()
    before = state(runtime)
    assert refused(lobby.desk, "/api/hotel/kiosk/check-in", {"ticket": ticket}) == (
        403,
        "ticket_used",
    )
    assert refused(lobby.desk, "/api/hotel/kiosk/check-out", {"ticket": ticket}) == (
        403,
        "ticket_used",
    )
    assert state(runtime) == before


def test_another_desks_ticket_is_refused_and_nothing_is_stored(
    app: Flask, runtime: Runtime, lobby: Lobby
) -> None:
    other = device_caller(app, runtime, "hotel_desk", "lobby-desk-2", hotel_id=lobby.hotel_id)
    ticket = live_ticket(runtime, other, lobby.guest)
    before = state(runtime)
    for url in ("/api/hotel/kiosk/identify", "/api/hotel/kiosk/check-in"):
        assert refused(lobby.desk, url, {"ticket": ticket}) == (403, "ticket_other_device")
    assert state(runtime) == before


def test_an_expired_ticket_is_refused_and_nothing_is_stored(
    runtime: Runtime, lobby: Lobby, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = live_ticket(runtime, lobby.desk, lobby.guest)
    before = state(runtime)
    monkeypatch.setattr(identification, "TICKET_SECONDS", -1)  # any age is now too old
    for url in ("/api/hotel/kiosk/identify", "/api/hotel/kiosk/check-in"):
        assert refused(lobby.desk, url, {"ticket": ticket}) == (403, "ticket_expired")
    assert state(runtime) == before


def test_a_ticket_issued_for_the_assistant_cannot_check_in(runtime: Runtime, lobby: Lobby) -> None:
    ticket = live_ticket(runtime, lobby.desk, lobby.guest, purpose="assistant")
    before = state(runtime)
    for url in ("/api/hotel/kiosk/identify", "/api/hotel/kiosk/check-in"):
        assert refused(lobby.desk, url, {"ticket": ticket}) == (403, "ticket_wrong_purpose")
    assert state(runtime) == before


def test_a_forged_ticket_names_no_hotel(runtime: Runtime, lobby: Lobby) -> None:
    ticket = live_ticket(runtime, lobby.desk, lobby.elsewhere)
    res = lobby.desk.post("/api/hotel/kiosk/identify", json={"ticket": ticket[:-3] + "xyz"})
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")
    assert "hotel" not in res.json
    # Once identified, a guest of another hotel is told where their reservation is.
    res = lobby.desk.post("/api/hotel/kiosk/identify", json={"ticket": ticket})
    assert (res.status_code, res.json["error"], res.json["hotel"]) == (409, "wrong_hotel", "THERE")


def test_a_desk_moved_to_another_hotel_cannot_use_a_ticket_from_its_old_lobby(
    runtime: Runtime, lobby: Lobby
) -> None:
    ticket = live_ticket(runtime, lobby.desk, lobby.guest)
    with transaction(runtime.sessions) as db:
        device = db.get(Device, lobby.desk.principal_id)
        assert device is not None
        device.hotel_id = lobby.other_hotel_id
    before = state(runtime)
    assert refused(lobby.desk, "/api/hotel/kiosk/check-in", {"ticket": ticket}) == (
        409,
        "wrong_hotel",
    )
    assert state(runtime) == before
    with transaction(runtime.sessions) as db:
        device = db.get(Device, lobby.desk.principal_id)
        assert device is not None
        device.hotel_id = None
    assert refused(lobby.desk, "/api/hotel/kiosk/check-in", {"ticket": ticket}) == (
        403,
        "device_not_bound",
    )
    assert state(runtime) == before


# -- entrance codes ---------------------------------------------------------------------------


def test_a_code_used_at_a_gate_is_refused_at_the_hotel_kiosk(
    app: Flask, runtime: Runtime, lobby: Lobby
) -> None:
    code = issue_code(runtime, lobby.guest)
    assert gate_scan(app, runtime, lobby.gate_id, code)["granted"] is True
    before = state(runtime)
    assert refused(lobby.desk, "/api/hotel/kiosk/identify", {"code": code}) == (
        409,
        "code_replayed",
    )
    assert state(runtime) == before


def test_a_code_used_at_the_hotel_kiosk_is_refused_at_a_gate_afterwards(
    app: Flask, runtime: Runtime, lobby: Lobby
) -> None:
    code = issue_code(runtime, lobby.guest)
    assert lobby.desk.post("/api/hotel/kiosk/identify", json={"code": code}).status_code == 200
    decision = gate_scan(app, runtime, lobby.gate_id, code)
    assert (decision["granted"], decision["reason"]) == (False, "code_replayed")


def test_the_same_code_twice_at_the_kiosk_is_refused_the_second_time(
    runtime: Runtime, lobby: Lobby
) -> None:
    code = issue_code(runtime, lobby.guest)
    first = lobby.desk.post("/api/hotel/kiosk/identify", json={"code": code})
    assert first.status_code == 200
    before = state(runtime)
    assert refused(lobby.desk, "/api/hotel/kiosk/identify", {"code": code}) == (
        409,
        "code_replayed",
    )
    assert state(runtime) == before
    status, welcome = check_in(lobby.desk, first.json["ticket"])  # the first one still works
    assert status == 200 and welcome["key"]["pin"].isdigit()


def test_a_refused_code_is_not_spent(runtime: Runtime, lobby: Lobby) -> None:
    code = issue_code(runtime, lobby.elsewhere)
    before = state(runtime)
    assert refused(lobby.desk, "/api/hotel/kiosk/identify", {"code": code}) == (
        409,
        "wrong_hotel",
    )
    assert state(runtime) == before
