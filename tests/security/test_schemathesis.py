"""Schemathesis against a running server, as every kind of caller: no 5xx, no schema violation.

First the findings of the run that filed issue 18, each pinned by a test; then the run itself.

A small seeded summit is served by `run.py serve` (rate limits off, so that the fuzzer reaches the
handlers). For each caller (anonymous, the three staff roles, each device kind) schemathesis
generates requests from /api/openapi.json for the operations that caller may use (anonymous:
every operation) and checks each answer: not a server error, a documented status, the documented
content type and the documented body. Generation is derandomised, so a failure repeats.

Operations that would end the run's own credentials (logout, revoking or re-binding a device)
are fuzzed anonymously only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.clock import utcnow
from core.runtime import Runtime
from models import Attendee
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee
from tests.servers import run_cli, server
from tests.transport.helpers import make_driver

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Cases per operation and caller (positive, negative). An anonymous caller is refused before
# the body is read, so two cases show that of a protected operation.
EXAMPLES = (15, 5)
ANONYMOUS_EXAMPLES = (2, 1)
SEEDED_EXAMPLES = 10  # and positive cases with integer path parameters pinned to a seeded record
# Fuzzing time for all callers (about 30 s on an idle machine): past it, one case of each kind
# per remaining operation, so that a loaded machine keeps the module within a few minutes.
BUDGET_SECONDS = 150
LOGINS = {
    "admin": "admin-demo-2026",
    "staff": "staff-demo-2026",
    "security": "security-demo-2026",
}
DEVICES = {  # device kind -> the prefix of its seeded device names
    "kiosk": "kiosk-",
    "gate": "gate-",
    "hotel_desk": "hotel-desk-",
    "airport_desk": "airport-desk-",
    "registration": "registration-",
    "driver": "driver-",
}
# These end the credentials the run itself uses; anonymous callers still fuzz them.
SELF_ENDING = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/devices/{device_id}/revoke"),
    ("POST", "/api/devices/{device_id}/binding"),
}


def test_a_landing_given_as_0_or_in_1970_is_refused(app: Flask, runtime: Runtime) -> None:
    desk = device_caller(app, runtime, "airport_desk")
    for landed_at in (0, "1970-01-01T00:00:00Z", False):
        res = desk.post("/api/flights/1/landed", json={"landed_at": landed_at})
        assert (res.status_code, res.json["error"]) == (400, "validation_error"), landed_at


def test_a_driver_shift_in_the_year_314_is_refused(staff: Caller) -> None:
    res = staff.post(
        "/api/drivers",
        json={
            "name": "Wang",
            "phone": "13800000000",
            "shift_start": "0314-05-01T08:00:00+08:00",
            "shift_end": "0314-05-01T20:00:00+08:00",
        },
    )
    assert (res.status_code, res.json["error"]) == (400, "validation_error")
    assert res.json["fields"][0]["field"] == "shift_start"


def test_a_time_inside_the_window_is_accepted_and_the_window_is_configurable(
    staff: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = utcnow() + timedelta(days=40)
    body = {
        "name": "Li",
        "phone": "13800000001",
        "shift_start": start.isoformat() + "+00:00",
        "shift_end": (start + timedelta(hours=8)).isoformat() + "+00:00",
    }
    assert staff.post("/api/drivers", json=body).status_code == 201
    monkeypatch.setenv("SUMMIT_WINDOW_DAYS", "30")
    res = staff.post("/api/drivers", json={**body, "phone": "13800000002"})
    assert (res.status_code, res.json["error"]) == (400, "validation_error")


def test_a_boolean_is_not_a_sequence_number_or_an_id(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        driver_id = make_driver(db).id
    phone = device_caller(app, runtime, "driver", "phone-1", driver_id=driver_id)
    for body in ({"seq": False}, {"seq": True}, {"seq": "3"}):
        res = phone.post("/api/driver/ack", json=body)
        assert (res.status_code, res.json["error"]) == (400, "validation_error"), body
    res = staff.post("/api/trips/1/assign", json={"driver_id": True})
    assert (res.status_code, res.json["error"]) == (400, "validation_error")


def test_a_profile_patch_with_a_null_name_is_refused_not_a_500(
    runtime: Runtime, staff: Caller
) -> None:
    # Found by this module's run (PATCH /api/attendees/1 with "name": null answered 500).
    with transaction(runtime.sessions) as db:
        attendee_id = make_attendee(db, runtime.pii).id
    res = staff.patch(f"/api/attendees/{attendee_id}", json={"name": None, "phone": ""})
    assert (res.status_code, res.json["error"]) == (400, "invalid_name")


def test_a_null_face_consent_does_not_withdraw_consent(runtime: Runtime, staff: Caller) -> None:
    with transaction(runtime.sessions) as db:
        attendee_id = make_attendee(db, runtime.pii, consent_face=True).id
    res = staff.patch(f"/api/attendees/{attendee_id}", json={"consent_face": None})
    assert (res.status_code, res.json["error"]) == (400, "invalid_consent")
    with runtime.sessions() as db:
        attendee = db.get(Attendee, attendee_id)
        assert attendee is not None and attendee.consent_face is True


@pytest.mark.slow
def test_every_path_answers_an_unlisted_method_with_405_and_allow(
    summit: tuple[str, dict[str, str]],
) -> None:
    base, _ = summit
    spec = requests.get(f"{base}/api/openapi.json", timeout=10).json()
    for template, operations in spec["paths"].items():
        path = template
        for parameter in next(iter(operations.values())).get("parameters", []):
            schema = parameter["schema"]
            value = schema["enum"][0] if "enum" in schema else 1
            path = path.replace("{" + parameter["name"] + "}", str(value))
        res = requests.put(f"{base}{path}", timeout=10)
        assert res.status_code == 405, template
        assert res.json()["error"] == "method_not_allowed"
        allowed = {m.strip() for m in res.headers["Allow"].split(",")}
        assert {m.upper() for m in operations} <= allowed, template


@dataclass
class Fuzzer:
    """How one kind of caller authenticates: a requests session and headers."""

    role: str | None
    http: requests.Session
    headers: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)  # answers seen, by status


@dataclass
class Tally:
    cases: int = 0
    operations: int = 0
    seconds: float = 0.0
    squeezed: int = 0  # operation-caller pairs run with one case each, past the budget


TALLY = Tally()


@pytest.fixture(scope="module")
def summit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    instance: Path = tmp_path_factory.mktemp("schemathesis")
    run_cli(instance, "seed-demo", "--attendees", "40")
    tokens = json.loads((instance / "demo-tokens.json").read_text())
    with server(instance, env={"RATE_LIMIT_FACTOR": "0"}) as base:
        yield base, tokens
    print(
        f"\nschemathesis: {TALLY.cases} cases over {TALLY.operations} operation-caller pairs "
        f"in {TALLY.seconds:.0f} s ({TALLY.squeezed} pairs cut short by the time budget)"
    )


@pytest.fixture(scope="module")
def schema(summit: tuple[str, dict[str, str]]) -> Any:
    base, _ = summit
    loaded = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    # The run sends real credentials; generated ones would only be refused.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


def caller_for(role: str | None, base: str, tokens: dict[str, str]) -> Fuzzer:
    """Log a staff role in, or pick the first seeded device of a kind; None is anonymous."""
    http = requests.Session()
    if role is None:
        return Fuzzer(None, http)
    if role in LOGINS:
        res = http.post(f"{base}/api/auth/login", json={"username": role, "password": LOGINS[role]})
        res.raise_for_status()
        return Fuzzer(role, http, {"X-CSRF-Token": res.json()["csrf"]})
    name = next(n for n in sorted(tokens) if n.startswith(DEVICES[role]))
    return Fuzzer(role, http, {"Authorization": f"Bearer {tokens[name]}"})


def operations_for(schema: Any, role: str | None) -> list[Any]:
    """The operations this caller may use (anonymous: all of them)."""
    out = []
    for result in schema.get_all_operations():
        operation = result.ok()
        roles = operation.definition.raw.get("x-roles")
        if role is None:
            out.append(operation)
        elif (operation.method.upper(), operation.path) in SELF_ENDING:
            continue
        elif roles is None or role in roles:
            out.append(operation)
    return out


def seeded_ids(operation: Any) -> dict[str, int] | None:
    """Integer path parameters pinned to 1, a record the seed made (random ids mostly miss)."""
    ids = {
        p["name"]: 1
        for p in operation.definition.raw.get("parameters", [])
        if p["in"] == "path" and p["schema"].get("type") == "integer"
    }
    return ids or None


def fuzz(
    operation: Any,
    caller: Fuzzer,
    mode: GenerationMode,
    examples: int,
    path_parameters: dict[str, int] | None = None,
) -> int:
    """Run `examples` generated cases of one operation; returns how many were sent."""
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call_and_validate(
            session=caller.http, headers=caller.headers, checks=CHECKS
        )
        caller.statuses[response.status_code] = caller.statuses.get(response.status_code, 0) + 1

    try:
        run()
    except Unsatisfiable:  # nothing to negate: the operation takes no parameters and no body
        assert mode is GenerationMode.NEGATIVE
    return sent


@pytest.mark.slow
@pytest.mark.parametrize(
    "role", [None, *DEVICES, "staff", "security", "admin"], ids=lambda r: r or "anonymous"
)
def test_no_server_error_and_no_schema_violation(
    summit: tuple[str, dict[str, str]], schema: Any, role: str | None
) -> None:
    base, tokens = summit
    caller = caller_for(role, base, tokens)
    started = time.monotonic()
    for operation in operations_for(schema, role):
        protected = bool(operation.definition.raw.get("security"))
        positive, negative = ANONYMOUS_EXAMPLES if role is None and protected else EXAMPLES
        seeded = SEEDED_EXAMPLES if role is not None else 0
        if TALLY.seconds + time.monotonic() - started > BUDGET_SECONDS:
            positive, negative, seeded = 1, 1, 1  # over budget: every operation still runs
            TALLY.squeezed += 1
        TALLY.cases += fuzz(operation, caller, GenerationMode.POSITIVE, positive)
        TALLY.cases += fuzz(operation, caller, GenerationMode.NEGATIVE, negative)
        ids = seeded_ids(operation)
        if seeded and ids:
            TALLY.cases += fuzz(operation, caller, GenerationMode.POSITIVE, seeded, ids)
        TALLY.operations += 1
    TALLY.seconds += time.monotonic() - started
    print(f"{role or 'anonymous'}: answers by status {dict(sorted(caller.statuses.items()))}")
    # The credentials worked: some answers were successes, not only 401s.
    assert role is None or any(200 <= status < 300 for status in caller.statuses)
