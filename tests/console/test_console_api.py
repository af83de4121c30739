"""The console's read APIs: counters equal the database, alerts are acknowledged once and audited,
lists and CSV exports respect roles and neutralise formulas, pages need the right login."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.alerts import raise_alert
from core.clock import utcnow
from core.events import Published, emit, subscribe
from core.runtime import Runtime
from kiosk_ui import console_service
from models import (
    AccessEvent,
    Alert,
    AuditEntry,
    Flight,
    Hotel,
    RoomType,
    Stay,
    Trip,
    TripPassenger,
    VenueCheckIn,
    ZonePresence,
)
from models.db import transaction
from tests.conftest import Caller
from tests.console.support import record_gate_pass
from tests.factories import make_attendee, make_gate, make_zone


def _venue(runtime: Runtime, people: int = 3, capacity: int | None = 100) -> tuple[int, list[int]]:
    with transaction(runtime.sessions) as db:
        gate = make_gate(db, make_zone(db, capacity=capacity))
        ids = [make_attendee(db, runtime.pii).id for _ in range(people)]
        return gate.id, ids


def _counts_from_db(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as db:
        return {
            "venue": db.scalar(select(func.count(VenueCheckIn.id))) or 0,
            "inside": db.scalar(
                select(func.count(ZonePresence.id)).where(ZonePresence.inside.is_(True))
            )
            or 0,
            "open_alerts": db.scalar(
                select(func.count(Alert.id)).where(Alert.acknowledged_by.is_(None))
            )
            or 0,
        }


def test_counters_equal_the_database_and_a_second_pass_is_not_a_second_check_in(
    runtime: Runtime, staff: Caller
) -> None:
    gate, people = _venue(runtime)
    with transaction(runtime.sessions) as db:
        record_gate_pass(db, people[0], gate)
        record_gate_pass(db, people[1], gate)
        record_gate_pass(db, people[0], gate)  # the same person again, same day
        record_gate_pass(db, people[2], gate, granted=False, reason="not_allowed_now")
        raise_alert(db, "gate_denied", "李* denied at G1", gate_id=gate, security=True)
    body = staff.get("/api/console/summary").json
    truth = _counts_from_db(runtime)
    assert body["arrivals"]["venue"] == truth["venue"] == 2
    assert body["venue"]["inside_total"] == truth["inside"] == 2
    assert body["alerts"] == {"open": truth["open_alerts"], "critical": 0, "security": 1}
    (g,) = body["venue"]["gates"]
    assert (g["today"], g["denied_today"], g["last_minute"]) == (3, 1, 3)
    assert sum(body["charts"]["throughput"]["gates"]["G1"]) == 3
    assert body["seq"] == console_service.last_seq(runtime.sessions())


def _arrival(db: Any, attendee: int, number: str, scheduled: Any, landed: Any = None) -> Flight:
    leg = Flight(
        attendee_id=attendee,
        kind="arrival",
        number=number,
        place="FOC",
        scheduled_at=scheduled,
        landed_at=landed,
    )
    db.add(leg)
    db.flush()
    return leg


def test_arrivals_count_waiting_on_the_road_at_hotel_and_plan_per_hour(
    runtime: Runtime, staff: Caller
) -> None:
    now = utcnow()
    with transaction(runtime.sessions) as db:
        a, b, c, d = (make_attendee(db, runtime.pii).id for _ in range(4))
        _arrival(db, a, "MU1", now - timedelta(minutes=40), now - timedelta(minutes=30))
        leg_b = _arrival(db, b, "MU1", now - timedelta(minutes=40), now - timedelta(minutes=30))
        _arrival(db, d, "CA9", now + timedelta(minutes=50))
        trip = Trip(
            kind="pickup",
            state="departed",
            place="FOC",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )
        db.add(trip)
        db.flush()
        db.add(TripPassenger(trip_id=trip.id, attendee_id=b, flight_id=leg_b.id, state="on_board"))
        hotel = Hotel(code="H1", name_zh="西湖宾馆", name_en="West Lake Hotel")
        db.add(hotel)
        db.flush()
        kind = RoomType(hotel_id=hotel.id, code="KING", name="King")
        db.add(kind)
        db.flush()
        db.add(
            Stay(
                attendee_id=c,
                hotel_id=hotel.id,
                room_type_id=kind.id,
                state="checked_in",
                check_in_date=date.today(),
                check_out_date=date.today() + timedelta(days=2),
            )
        )
    arrivals = staff.get("/api/console/summary").json["arrivals"]
    assert {k: arrivals[k] for k in ("landed", "waiting", "on_road", "at_hotel")} == {
        "landed": 2,
        "waiting": 1,
        "on_road": 1,
        "at_hotel": 1,
    }
    assert 29 <= arrivals["longest_wait_min"] <= 31
    waiting = staff.get("/api/console/lists/waiting").json
    assert [r[2] for r in waiting["rows"]] == ["MU1"] and "*" in waiting["rows"][0][1]
    hours = staff.get("/api/console/summary").json["charts"]["arrivals_by_hour"]
    assert sum(h["landed"] for h in hours) == 2
    assert sum(h["planned"] for h in hours) == 3 and len(hours) == 24


def test_a_busy_gate_and_a_nearly_full_zone_raise_warnings(runtime: Runtime, staff: Caller) -> None:
    gate, people = _venue(runtime, people=2, capacity=2)
    now = utcnow()
    with transaction(runtime.sessions) as db:
        for p in people:
            record_gate_pass(db, p, gate)
        for i in range(80):  # 16 a minute over the last five minutes
            db.add(
                AccessEvent(
                    nonce=uuid.uuid4().hex,
                    gate_id=gate,
                    method="face",
                    direction="in",
                    granted=True,
                    reason="ok",
                    at=now - timedelta(seconds=3 * i + 1),
                )
            )
    venue = staff.get("/api/console/summary").json["venue"]
    kinds = sorted(w["kind"] for w in venue["warnings"])
    assert kinds == ["queue", "zone_full"]
    assert venue["gates"][0]["queue"] is True and venue["gates"][0]["per_minute"] >= 16


def test_an_alert_is_acknowledged_once_audited_and_published(
    runtime: Runtime, staff: Caller, admin: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        alert_id = raise_alert(db, "driver_silent", "Driver 7 does not answer").id
    seen: list[Published] = []
    stop = subscribe(seen.append)
    try:
        first = staff.post(f"/api/console/alerts/{alert_id}/ack")
        second = admin.post(f"/api/console/alerts/{alert_id}/ack")
    finally:
        stop()
    assert first.status_code == 200
    assert first.json["acknowledged_by"] == f"staff:{staff.principal_id}"
    assert second.status_code == 409 and second.json["error"] == "already_acknowledged"
    assert [e.name for e in seen] == ["alert_acknowledged"]
    with runtime.sessions() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "alert_acknowledged"))
        assert [e.actor for e in entries] == [f"staff:{staff.principal_id}"]
    assert staff.get("/api/console/alerts").json["alerts"] == []
    assert len(staff.get("/api/console/alerts?all=1").json["alerts"]) == 1


def test_acknowledging_needs_csrf_and_an_existing_alert_and_stores_nothing_otherwise(
    runtime: Runtime, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        alert_id = raise_alert(db, "room_short", "Hotel H1 short of 3 rooms").id
    no_csrf = staff.client.post(f"/api/console/alerts/{alert_id}/ack")
    missing = staff.post("/api/console/alerts/9999/ack")
    assert (no_csrf.status_code, no_csrf.json["error"]) == (403, "csrf_failed")
    assert (missing.status_code, missing.json["error"]) == (404, "alert_not_found")
    with runtime.sessions() as db:
        assert db.get(Alert, alert_id).acknowledged_by is None  # type: ignore[union-attr]
        assert (
            db.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "alert_acknowledged")
            )
            == 0
        )


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"])
def test_csv_export_neutralises_cells_a_spreadsheet_would_run(
    runtime: Runtime, staff: Caller, text: str
) -> None:
    with transaction(runtime.sessions) as db:
        raise_alert(db, "flight_delayed", text)
        make_attendee(db, runtime.pii, organisation=f"{text} org")
    res = staff.get("/api/console/export/alerts.csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(res.data.decode("utf-8-sig"))))
    assert rows[0] == ["id", "at", "severity", "kind", "message", "acknowledged_by"]
    assert rows[1][4] == "'" + text
    people = staff.get("/api/console/export/attendees.csv?q=org").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(people)))[1][3] == f"'{text.strip()} org"  # stored stripped


def test_lists_follow_roles_and_unknown_lists_are_refused(
    staff: Caller, admin: Caller, security: Caller, client: Any
) -> None:
    assert staff.get("/api/console/lists/audit").json["error"] == "forbidden"
    assert staff.get("/api/console/export/denials.csv").status_code == 403
    assert security.get("/api/console/lists/denials").status_code == 200
    assert admin.get("/api/console/lists/audit").status_code == 200
    unknown = staff.get("/api/console/lists/passwords")
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_list")
    assert client.get("/api/console/summary").json["error"] == "unauthenticated"
    bad = staff.get("/api/console/lists/inside?zone=x")
    assert (bad.status_code, bad.json["error"]) == (400, "invalid_zone")


def test_staff_feed_leaves_out_security_only_events(
    runtime: Runtime, staff: Caller, security: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        emit(db, "watchlist_changed", {"name": "王*"}, ["security"])
        emit(db, "flight_landed", {"number": "MU1"}, ["console"])
    staff_events = [e["event"] for e in staff.get("/api/console/events").json["events"]]
    security_events = [e["event"] for e in security.get("/api/console/events").json["events"]]
    assert "watchlist_changed" not in staff_events and "flight_landed" in staff_events
    assert "watchlist_changed" in security_events
    assert staff.get("/api/console/events?limit=0").json["error"] == "invalid_limit"


def test_pages_send_strangers_to_login_and_refuse_wrong_roles(
    client: Any, staff: Caller, security: Caller
) -> None:
    res = client.get("/console")
    assert res.status_code == 302 and res.headers["Location"] == "/login?next=/console"
    assert client.get("/login").status_code == 200
    assert staff.get("/console").status_code == 200
    assert staff.get("/console/security").status_code == 403
    assert staff.get("/console/audit").status_code == 403
    assert security.get("/console/security").status_code == 200
    # A logged-in user is sent on, but never off-site.
    assert staff.get("/login?next=//evil.example/x").headers["Location"] == "/console"
    inside = staff.get("/login?next=/console/attendees/1")
    assert inside.headers["Location"] == "/console/attendees/1"


@pytest.mark.postgres
def test_summary_counts_the_same_on_postgresql(pg_runtime: Runtime, app: Flask) -> None:
    with transaction(pg_runtime.sessions) as db:
        gate = make_gate(db, make_zone(db, capacity=10))
        people = [make_attendee(db, pg_runtime.pii).id for _ in range(3)]
    with transaction(pg_runtime.sessions) as db:
        for p in people:
            record_gate_pass(db, p, gate.id)
        record_gate_pass(db, people[0], gate.id, granted=False, reason="revoked")
        raise_alert(db, "gate_denied", "x", severity="critical", security=True)
    with pg_runtime.sessions() as db:
        body = console_service.summary(db)
        assert body["arrivals"]["venue"] == db.scalar(select(func.count(VenueCheckIn.id))) == 3
    assert body["venue"]["inside_total"] == 3
    assert body["alerts"] == {"open": 1, "critical": 1, "security": 1}
    assert body["venue"]["gates"][0]["denied_today"] == 1
