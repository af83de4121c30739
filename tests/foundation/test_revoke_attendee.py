"""An admin revokes an attendee (API or CLI), audited and announced; every door refuses them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from checkin.codes import issue_code
from core import cli as core_cli
from core.clock import utcnow
from core.events import Published, subscribe
from core.runtime import Runtime
from hotel.clock import hotel_night
from models import Attendee
from models.auth import AuditEntry
from models.db import transaction
from models.venue import CodeUse
from run import cli
from tests.checkin.conftest import build_venue, new_nonce
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee, make_gate, make_zone
from tests.hotel.helpers import make_hotel, make_stay
from tests.transport.test_driver_api import World, world  # noqa: F401  (fixture)

REASON = "badge reported stolen"


@pytest.fixture
def attendee_id(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as db:
        return make_attendee(db, runtime.pii).id


def audit_actions(runtime: Runtime, attendee: int) -> list[tuple[str, str]]:
    with runtime.sessions() as db:
        rows = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == f"attendee:{attendee}")
            .order_by(AuditEntry.id)
        )
        return [(r.action, r.reason) for r in rows]


def is_revoked(runtime: Runtime, attendee: int) -> bool:
    with runtime.sessions() as db:
        found = db.get(Attendee, attendee)
        assert found is not None
        return found.revoked


def test_an_admin_revokes_and_restores_an_attendee_audited_and_announced(
    admin: Caller, runtime: Runtime, attendee_id: int
) -> None:
    seen: list[Published] = []
    unsubscribe = subscribe(seen.append)
    try:
        res = admin.post(f"/api/attendees/{attendee_id}/revoke", json={"reason": REASON})
        assert (res.status_code, res.json["revoked"]) == (200, True)
        again = admin.post(f"/api/attendees/{attendee_id}/revoke", json={"reason": REASON})
        assert again.status_code == 200  # revoking twice changes and records nothing more
        back = admin.post(f"/api/attendees/{attendee_id}/restore", json={"reason": "found it"})
        assert (back.status_code, back.json["revoked"]) == (200, False)
    finally:
        unsubscribe()
    assert audit_actions(runtime, attendee_id) == [
        ("attendee_revoked", REASON),
        ("attendee_restored", "found it"),
    ]
    assert [(e.name, e.rooms) for e in seen] == [
        ("attendee_revoked", ("console",)),
        ("attendee_restored", ("console",)),
    ]
    assert not is_revoked(runtime, attendee_id)


@pytest.mark.parametrize(
    ("who", "url", "body", "status", "code"),
    [
        ("staff", "/api/attendees/{id}/revoke", {"reason": REASON}, 403, "forbidden"),
        ("admin", "/api/attendees/{id}/revoke", {}, 400, "validation_error"),
        ("admin", "/api/attendees/{id}/revoke", {"reason": "     x"}, 400, "reason_required"),
        ("admin", "/api/attendees/999999/revoke", {"reason": REASON}, 404, "attendee_not_found"),
        ("admin", f"/api/attendees/{2**70}/revoke", {"reason": REASON}, 404, "not_found"),
    ],
)
def test_a_revocation_that_is_not_allowed_or_not_explained_changes_nothing(
    request: pytest.FixtureRequest,
    runtime: Runtime,
    attendee_id: int,
    who: str,
    url: str,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    caller: Caller = request.getfixturevalue(who)
    res = caller.post(url.format(id=attendee_id), json=body)
    assert (res.status_code, res.json["error"]) == (status, code)
    assert not is_revoked(runtime, attendee_id)
    assert audit_actions(runtime, attendee_id) == []


def test_a_revoked_attendee_is_refused_at_the_gate_and_let_in_again_once_restored(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    venue = build_venue(runtime)
    gate = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)

    def scan() -> str:
        code = issue_code(runtime, venue.delegate)
        body = {"method": "code", "code": code, "nonce": new_nonce()}
        res = gate.post(f"/api/gates/{venue.gate_in}/pass", json=body)
        assert res.status_code == 200, res.json
        return str(res.json["reason"])

    admin.post(f"/api/attendees/{venue.delegate}/revoke", json={"reason": REASON})
    assert scan() == "attendee_revoked"
    admin.post(f"/api/attendees/{venue.delegate}/restore", json={"reason": "cleared by desk"})
    assert scan() == "checked_in"


def test_a_revoked_guest_is_refused_at_the_hotel_kiosk(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    tonight = hotel_night(utcnow())
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "HERE", nights=[tonight])
        guest = make_attendee(db, runtime.pii).id
        make_stay(db, guest, hotel, check_in_date=tonight, check_out_date=tonight + timedelta(1))
        make_gate(db, make_zone(db), "A1")
        hotel_id = hotel.id
    desk = device_caller(app, runtime, "hotel_desk", "lobby-desk", hotel_id=hotel_id)
    admin.post(f"/api/attendees/{guest}/revoke", json={"reason": REASON})
    res = desk.post("/api/hotel/kiosk/identify", json={"code": issue_code(runtime, guest)})
    assert (res.status_code, res.json["error"]) == (409, "attendee_revoked")


def test_a_revoked_passenger_does_not_board_and_their_code_is_not_used_up(
    world: World,  # noqa: F811  (the fixture imported above)
    runtime: Runtime,
    admin: Caller,
) -> None:
    trip, rider = world.mine.id, world.riders[0]
    world.driver.post(f"/api/driver/trips/{trip}/accept")
    world.driver.post(f"/api/driver/trips/{trip}/arrive")
    admin.post(f"/api/attendees/{rider.id}/revoke", json={"reason": REASON})
    body = {"attendee_id": rider.id, "method": "code", "code": issue_code(runtime, rider.id)}
    res = world.driver.post(f"/api/driver/trips/{trip}/board", json=body)
    assert (res.status_code, res.json["error"]) == (403, "attendee_revoked")
    with runtime.sessions() as db:
        assert db.scalars(select(CodeUse)).all() == []


def test_the_cli_revokes_and_restores_with_a_reason(
    runtime: Runtime, attendee_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_cli, "open_runtime", lambda: runtime)
    commands = CliRunner()
    done = commands.invoke(cli, ["revoke-attendee", str(attendee_id), "--reason", REASON])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"attendee": attendee_id, "revoked": True}
    assert is_revoked(runtime, attendee_id)
    assert audit_actions(runtime, attendee_id) == [("attendee_revoked", REASON)]
    back = commands.invoke(
        cli, ["revoke-attendee", str(attendee_id), "--restore", "--reason", "cleared by desk"]
    )
    assert back.exit_code == 0 and not is_revoked(runtime, attendee_id)
    unknown = commands.invoke(cli, ["revoke-attendee", "999999", "--reason", REASON])
    assert unknown.exit_code == 2 and "attendee_not_found" in unknown.stderr
    vague = commands.invoke(cli, ["revoke-attendee", str(attendee_id), "--reason", "no"])
    assert vague.exit_code == 2 and "reason_required" in vague.stderr
