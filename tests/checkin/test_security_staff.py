"""Watch list, supervisor override and staff undo: each audited, each with its refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from checkin.codes import issue_code
from core.clock import utcnow
from core.events import Published, subscribe
from core.runtime import Runtime
from models import AccessEvent, Alert, AuditEntry, VenueCheckIn, ZonePresence
from models.db import transaction
from tests.checkin.conftest import Venue, new_nonce
from tests.checkin.test_gate_rules import count, scan
from tests.conftest import Caller


def watch(security: Caller, attendee_id: int) -> None:
    res = security.post(
        "/api/watchlist", json={"attendee_id": attendee_id, "reason": "forged badge last year"}
    )
    assert res.status_code == 201, res.json


def test_a_watch_list_hit_stops_the_person_and_alerts_security(
    runtime: Runtime, venue: Venue, gate_device: Caller, security: Caller
) -> None:
    seen: list[Published] = []
    unsubscribe = subscribe(seen.append)
    try:
        watch(security, venue.delegate)
        res = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    finally:
        unsubscribe()
    assert (res["granted"], res["reason"]) == (False, "watchlist_hit")
    alerts = [e for e in seen if e.name == "alert_raised"]
    assert alerts and alerts[0].payload["kind"] == "watchlist_hit" and "security" in alerts[0].rooms
    assert alerts[0].payload["severity"] == "critical" and "张*三" in alerts[0].payload["message"]
    denied = [e for e in seen if e.name == "gate_denied"]
    assert denied and {"console", "security", f"zone:{venue.hall}"} <= set(denied[0].rooms)
    assert count(runtime, VenueCheckIn) == 0


def test_a_supervisor_override_lets_the_person_in_and_is_audited(
    runtime: Runtime, venue: Venue, gate_device: Caller, security: Caller
) -> None:
    watch(security, venue.delegate)
    body = {
        "attendee_id": venue.delegate,
        "nonce": new_nonce(),
        "reason": "identity checked by hand",
    }
    res = security.post(f"/api/gates/{venue.gate_in}/override", json=body)
    assert res.status_code == 200, res.json
    assert (res.json["granted"], res.json["reason"], res.json["method"]) == (
        True,
        "override",
        "override",
    )
    with transaction(runtime.sessions) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "gate_override"))
        assert entry is not None and entry.reason == "identity checked by hand"
        assert entry.actor == f"staff:{security.principal_id}"
    assert count(runtime, VenueCheckIn) == 1


def test_override_needs_a_reason_and_a_security_role(
    runtime: Runtime, venue: Venue, security: Caller, staff: Caller
) -> None:
    url = f"/api/gates/{venue.gate_in}/override"
    short = security.post(
        url, json={"attendee_id": venue.delegate, "nonce": new_nonce(), "reason": "ok"}
    )
    assert (short.status_code, short.json["error"]) == (400, "validation_error")
    body = {"attendee_id": venue.delegate, "nonce": new_nonce(), "reason": "identity checked"}
    assert staff.post(url, json=body).json["error"] == "forbidden"
    ghost = security.post(url, json={**body, "attendee_id": 999999})
    assert (ghost.status_code, ghost.json["error"]) == (404, "attendee_not_found")
    assert count(runtime, AccessEvent) == 0


def test_staff_undo_reverts_presence_and_check_in_with_an_audit_entry(
    runtime: Runtime, venue: Venue, gate_device: Caller, staff: Caller
) -> None:
    first = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    res = staff.post(
        f"/api/access-events/{first['event_id']}/undo", json={"reason": "scanned the wrong badge"}
    )
    assert res.status_code == 200, res.json
    assert count(runtime, VenueCheckIn) == 0
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(ZonePresence.inside)) is False
        assert db.get(AccessEvent, first["event_id"]).undone_at is not None  # type: ignore[union-attr]
        assert (
            db.scalar(select(AuditEntry.reason).where(AuditEntry.action == "gate_pass_undone"))
            == "scanned the wrong badge"
        )
    again = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    assert again["reason"] == "checked_in"  # after an undo the person can be checked in afresh


def test_undo_is_refused_twice_for_denials_and_after_the_window(
    runtime: Runtime, venue: Venue, gate_device: Caller, staff: Caller
) -> None:
    granted = scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))
    denied = scan(gate_device, venue.gate_in, issue_code(runtime, venue.visitor))
    reason = {"reason": "mistaken scan"}
    assert (
        staff.post(f"/api/access-events/{denied['event_id']}/undo", json=reason).json["error"]
        == "not_undoable"
    )
    with transaction(runtime.sessions) as db:
        db.get(AccessEvent, granted["event_id"]).recorded_at = utcnow() - timedelta(minutes=11)  # type: ignore[union-attr]
    late = staff.post(f"/api/access-events/{granted['event_id']}/undo", json=reason)
    assert (late.status_code, late.json["error"]) == (409, "undo_window_passed")
    assert (
        staff.post("/api/access-events/999999/undo", json=reason).json["error"] == "event_not_found"
    )
    assert count(runtime, VenueCheckIn) == 1


def test_watch_list_entries_are_listed_masked_and_removed_with_a_reason(
    runtime: Runtime, venue: Venue, security: Caller, gate_device: Caller
) -> None:
    watch(security, venue.delegate)
    listed = security.get("/api/watchlist").json["entries"]
    assert [(e["attendee_id"], e["name"]) for e in listed] == [(venue.delegate, "张*三")]
    assert (
        security.post(
            "/api/watchlist", json={"attendee_id": 999999, "reason": "unknown person"}
        ).json["error"]
        == "attendee_not_found"
    )
    res = security.post(
        f"/api/watchlist/{venue.delegate}/remove", json={"reason": "cleared by police"}
    )
    assert res.status_code == 200
    assert security.get("/api/watchlist").json["entries"] == []
    assert (
        security.post(
            f"/api/watchlist/{venue.delegate}/remove", json={"reason": "cleared again"}
        ).json["error"]
        == "not_on_watchlist"
    )
    assert scan(gate_device, venue.gate_in, issue_code(runtime, venue.delegate))["granted"]
    with transaction(runtime.sessions) as db:
        actions = list(
            db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("watchlist%")))
        )
        assert actions == ["watchlist_added", "watchlist_removed"]
        assert db.scalar(select(Alert.id)) is None
