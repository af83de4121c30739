"""Integers beyond any id, unknown references and duplicates get a 4xx with a code, never a 500.

The attack run of issue 18 found 500s for ids beyond 64 bits in paths and bodies (SQLite raised
OverflowError), and for a second departure leg (the unique constraint).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.runtime import Runtime
from models import Flight, Vehicle
from models.auth import Device
from models.db import transaction
from tests.conftest import Caller
from tests.factories import make_attendee
from tests.security.test_fuzz_json_routes import caller_for
from web.api import MAX_INT, unit_of_work

HUGE = 2**70


def int_routes(app: Flask) -> list[tuple[str, str, tuple[str, ...] | None]]:
    """(method, url with HUGE in every int parameter, roles) for every rule with an int."""
    out = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<any\(([^)]*)\):\w+>", lambda m: m.group(1).split(",")[0].strip(), rule.rule)
        url = re.sub(r"<int:\w+>", str(HUGE), url)
        roles = getattr(app.view_functions[rule.endpoint], "_roles", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url, roles))
    return out


def test_every_route_answers_an_id_beyond_any_column_with_not_found(
    app: Flask, runtime: Runtime
) -> None:
    app.config["RATE_LIMIT_FACTOR"] = 0
    callers: dict[str, Caller] = {}
    routes = int_routes(app)
    assert len(routes) > 20  # the sweep really walks the app's rules
    answers = {}
    for method, url, roles in routes:
        caller = caller_for(app, runtime, roles or ("admin",), callers)
        res = caller.client.open(url, method=method, json={}, headers=caller.headers)
        error = (res.get_json(silent=True) or {}).get("error")
        answers[f"{method} {url}"] = (res.status_code, error)
    assert {k: v for k, v in answers.items() if v != (404, "not_found")} == {}


def test_the_largest_id_still_reaches_the_view(admin: Caller) -> None:
    res = admin.get(f"/api/attendees/{MAX_INT}")
    assert (res.status_code, res.json["error"]) == (404, "attendee_not_found")
    res = admin.get(f"/api/attendees/{MAX_INT + 1}")
    assert (res.status_code, res.json["error"]) == (404, "not_found")


def _flight(attendee_id: int, kind: str = "arrival", hours: int = 24) -> dict[str, Any]:
    at = (utcnow() + timedelta(hours=hours)).isoformat() + "+00:00"
    return {
        "attendee_id": attendee_id,
        "kind": kind,
        "number": "MF8101",
        "place": "FOC",
        "scheduled_at": at,
    }


BODIES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("driver", "POST", "/api/driver/ack", {"seq": HUGE}),
    ("driver", "POST", "/api/driver/ack", {"seq": 1, "trips": {str(HUGE): 1}}),
    ("driver", "POST", "/api/driver/ack", {"seq": 1, "trips": {"1": HUGE}}),
    (
        "driver",
        "POST",
        "/api/driver/trips/1/board",
        {"attendee_id": HUGE, "method": "code", "code": "x"},
    ),
    ("driver", "POST", "/api/driver/trips/1/no-show", {"attendee_id": HUGE}),
    ("staff", "POST", "/api/flights", _flight(HUGE)),
    ("staff", "POST", "/api/trips/1/assign", {"driver_id": HUGE}),
    ("staff", "POST", "/api/vehicles", {"plate": "闽A1", "kind": "van", "capacity": HUGE}),
    (
        "staff",
        "POST",
        "/api/drivers",
        {
            "name": "陈",
            "phone": "+8613900000000",
            "vehicle_id": HUGE,
            "shift_start": "2026-12-07T08:00:00+08:00",
            "shift_end": "2026-12-07T20:00:00+08:00",
        },
    ),
    ("admin", "POST", "/api/devices", {"name": "g", "kind": "gate", "gate_id": HUGE}),
    ("admin", "POST", "/api/devices", {"name": "h", "kind": "hotel_desk", "hotel_id": HUGE}),
    ("admin", "POST", "/api/devices", {"name": "d", "kind": "driver", "driver_id": HUGE}),
    ("staff", "POST", "/api/hotel/stays/1/assign", {"room_id": HUGE}),
    (
        "security",
        "POST",
        "/api/watchlist",
        {"attendee_id": MAX_INT + 1, "reason": "tested bounds"},
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "url", "body"), BODIES, ids=[f"{b[2]}:{list(b[3])}" for b in BODIES]
)
def test_an_integer_beyond_any_column_in_a_body_is_a_validation_error(
    app: Flask, runtime: Runtime, role: str, method: str, url: str, body: dict[str, Any]
) -> None:
    caller = caller_for(app, runtime, (role,), {})
    res = caller.client.open(url, method=method, json=body, headers=caller.headers)
    assert (res.status_code, res.json["error"]) == (400, "validation_error"), res.json


def test_a_gate_device_for_a_gate_that_does_not_exist_is_not_found(
    admin: Caller, runtime: Runtime
) -> None:
    res = admin.post("/api/devices", json={"name": "ghost", "kind": "gate", "gate_id": 999})
    assert (res.status_code, res.json["error"]) == (404, "gate_not_found")
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Device)) == 0


def test_a_second_departure_leg_is_a_conflict_and_nothing_is_stored(
    staff: Caller, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as db:
        attendee_id = make_attendee(db, runtime.pii).id
    assert staff.post("/api/flights", json=_flight(attendee_id)).status_code == 201
    leave = _flight(attendee_id, "departure", hours=72)
    assert staff.post("/api/flights", json=leave).status_code == 201
    again = staff.post("/api/flights", json={**leave, "number": "MF8999"})
    assert (again.status_code, again.json["error"]) == (409, "duplicate_leg")
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Flight)) == 2


def _raise_from_database(runtime: Runtime, change: str) -> None:
    """Let the database itself refuse a row, as in a race past a service's own check."""
    with unit_of_work() as db:
        if change == "unique":
            db.add_all([Vehicle(plate="闽A1", kind="van", capacity=8)])
            db.flush()
            db.add(Vehicle(plate="闽A1", kind="van", capacity=8))
        else:
            db.add(Flight(**{**_flight(999), "scheduled_at": utcnow()}))
        db.flush()


@pytest.mark.parametrize(
    ("change", "status", "code"), [("unique", 409, "conflict"), ("foreign_key", 404, "not_found")]
)
def test_a_constraint_the_database_refuses_is_answered_with_its_meaning(
    app: Flask, runtime: Runtime, change: str, status: int, code: str
) -> None:
    app.add_url_rule(
        "/test/constraint", "constraint", lambda: _raise_from_database(runtime, change)
    )
    res = app.test_client().get("/test/constraint")
    assert (res.status_code, res.json["error"]) == (status, code)
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Vehicle)) == 0
        assert db.scalar(select(func.count()).select_from(Flight)) == 0


def test_the_database_does_refuse_an_unknown_attendee_on_a_leg(runtime: Runtime) -> None:
    """The foreign-key case above is real: SQLite enforces foreign keys in this app."""
    with pytest.raises(IntegrityError), transaction(runtime.sessions) as db:
        db.add(Flight(**{**_flight(999), "scheduled_at": utcnow()}))
        db.flush()
