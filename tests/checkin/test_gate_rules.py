"""Gate decisions by entrance code through the API: every rule has its own reason code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from checkin.codes import issue_code
from core.clock import utcnow
from core.runtime import Runtime
from models import AccessEvent, Alert, Attendee, Gate, JourneyStep, VenueCheckIn
from models.db import transaction
from tests.checkin.conftest import Venue, new_nonce
from tests.conftest import Caller, device_caller


def scan(caller: Caller, gate: int, code: str, nonce: str | None = None) -> dict[str, Any]:
    res = caller.post(
        f"/api/gates/{gate}/pass",
        json={"method": "code", "code": code, "nonce": nonce or new_nonce()},
    )
    assert res.status_code == 200, res.json
    return res.json  # type: ignore[no-any-return]


def count(rt: Runtime, model: Any) -> int:
    with transaction(rt.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_first_entry_checks_in_and_a_second_gate_says_already_with_the_first_time(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    other = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    first = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    again = scan(other, venue.gate_in2, issue_code(runtime, venue.delegate))
    assert (first["granted"], first["reason"]) == (True, "checked_in")
    assert first["attendee"]["name"] == "张*三"
    assert (again["granted"], again["reason"]) == (False, "already_checked_in")
    assert again["first_seen"] == first["first_seen"] == first["at"]
    assert count(runtime, VenueCheckIn) == 1
    with transaction(runtime.sessions) as db:
        stages = db.scalars(
            select(JourneyStep.stage).where(JourneyStep.attendee_id == venue.delegate)
        )
        assert "venue_checked_in" in list(stages)


def test_exit_then_entry_is_a_reentry_on_the_same_check_in(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    exit_device = device_caller(app, runtime, "gate", "gate-A9", gate_id=venue.gate_out)
    first = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    out = scan(exit_device, venue.gate_out, issue_code(runtime, venue.delegate))
    back = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    assert [out["reason"], back["reason"]] == ["exited", "reentry"]
    assert back["granted"] and back["first_seen"] == first["first_seen"]
    assert count(runtime, VenueCheckIn) == 1


def test_exit_without_an_entry_is_let_out_but_marked_not_inside(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    exit_device = device_caller(app, runtime, "gate", "gate-A9", gate_id=venue.gate_out)
    out = scan(exit_device, venue.gate_out, issue_code(runtime, venue.delegate))
    assert (out["granted"], out["reason"]) == (True, "not_inside")


def test_the_same_nonce_twice_returns_the_first_decision_and_stores_nothing_new(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    nonce = new_nonce()
    first = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate), nonce)
    again = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate), nonce)
    assert again["event_id"] == first["event_id"] and again["reason"] == "checked_in"
    assert again["replayed"] is True
    assert count(runtime, AccessEvent) == 1


def test_a_nonce_reused_at_another_gate_is_a_conflict(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    nonce = new_nonce()
    scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate), nonce)
    other = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    res = other.post(
        f"/api/gates/{venue.gate_in2}/pass",
        json={"method": "code", "code": issue_code(runtime, venue.vip_guest), "nonce": nonce},
    )
    assert (res.status_code, res.json["error"]) == (409, "nonce_reused")
    assert count(runtime, AccessEvent) == 1


def test_a_code_used_at_one_gate_is_refused_at_another(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    code = issue_code(runtime, venue.delegate)
    scan(gate_device, venue.gate_in, code)
    other = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    replay = scan(other, venue.gate_in2, code)
    assert (replay["granted"], replay["reason"]) == (False, "code_replayed")
    with transaction(runtime.sessions) as db:
        assert (
            db.scalar(select(Alert.kind).where(Alert.gate_id == venue.gate_in2)) == "code_replayed"
        )


def test_a_category_without_access_is_refused(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    res = scan(gate_device, venue.gate_in, issue_code(runtime, venue.visitor))
    assert (res["granted"], res["reason"]) == (False, "category_not_allowed")
    assert count(runtime, VenueCheckIn) == 0


def test_a_zone_rule_outside_its_window_is_outside_hours(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    with transaction(runtime.sessions) as db:
        db.get(Attendee, venue.delegate).category = "speaker"  # type: ignore[union-attr]
    vip_gate = device_caller(app, runtime, "gate", "gate-V1", gate_id=venue.vip_in)
    speaker = scan(vip_gate, venue.vip_in, issue_code(runtime, venue.delegate))
    vip = scan(vip_gate, venue.vip_in, issue_code(runtime, venue.vip_guest))
    assert speaker["reason"] == "outside_hours" and not speaker["granted"]
    assert vip["reason"] == "checked_in" and vip["granted"]


def test_a_closed_gate_refuses(runtime: Runtime, venue: Venue, gate_device: Caller) -> None:
    with transaction(runtime.sessions) as db:
        db.get(Gate, venue.gate_in).open = False  # type: ignore[union-attr]
    assert (
        scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))["reason"]
        == "gate_closed"
    )


def test_a_revoked_attendee_is_refused_even_with_a_valid_code(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    code = issue_code(runtime, venue.delegate)
    with transaction(runtime.sessions) as db:
        db.get(Attendee, venue.delegate).revoked = True  # type: ignore[union-attr]
    res = scan(gate_device, venue.gate_in, code)
    assert (res["granted"], res["reason"]) == (False, "attendee_revoked")
    assert count(runtime, VenueCheckIn) == 0


def test_expired_forged_future_and_garbage_codes_get_their_own_reasons(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cases = {
        "code_expired": issue_code(runtime, venue.delegate, now=utcnow() - timedelta(minutes=2)),
        "code_not_yet_valid": issue_code(
            runtime, venue.delegate, now=utcnow() + timedelta(minutes=2)
        ),
        "code_forged": issue_code(Ed25519PrivateKey.generate(), venue.delegate),
        "code_malformed": "https://example.org/not-a-code",
    }
    for reason, code in cases.items():
        res = scan(gate_device, venue.gate_in, code)
        assert (res["granted"], res["reason"], res["attendee"]) == (False, reason, None)
    assert count(runtime, VenueCheckIn) == 0


def test_a_gate_device_cannot_pass_people_at_another_gate(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    res = gate_device.post(
        f"/api/gates/{venue.gate_in2}/pass",
        json={"method": "code", "code": issue_code(runtime, venue.delegate), "nonce": new_nonce()},
    )
    assert (res.status_code, res.json["error"]) == (403, "wrong_gate")
    assert count(runtime, AccessEvent) == 0


def test_bad_pass_requests_get_clear_codes_and_store_nothing(
    runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    url = f"/api/gates/{venue.gate_in}/pass"
    bad = [
        ({"method": "code", "nonce": "short", "code": "x"}, "validation_error"),
        ({"method": "iris", "nonce": new_nonce()}, "validation_error"),
        ({"method": "code", "nonce": new_nonce()}, "code_required"),
        ({"method": "face", "nonce": new_nonce()}, "image_required"),
        ({"method": "face", "nonce": new_nonce(), "image": "%%%not base64%%%"}, "invalid_image"),
    ]
    for body, code in bad:
        res = gate_device.post(url, json=body)
        assert (res.status_code, res.json["error"]) == (400, code), body
    missing = gate_device.post(
        "/api/gates/999999/pass", json={"method": "code", "code": "x", "nonce": new_nonce()}
    )
    assert missing.status_code == 403  # a gate device only ever talks about its own gate
    assert count(runtime, AccessEvent) == 0
