"""Property-based fuzzing of every JSON route: whatever the body, a clean error envelope, no 500.

Routes are read from the app, so every route added by any package is fuzzed without editing
this file. Each route is called by a caller its `requires(...)` list allows, so the fuzz
reaches validation and the service instead of stopping at the role check.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.runtime import Runtime
from tests.conftest import Caller, device_caller, login_as
from tests.route_table import api_routes

pytestmark = pytest.mark.slow

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "=cmd|' /C calc'!A0",
            "\x00",
            "🙂" * 5,
            "9" * 400,
            "../../etc/passwd",
            "%s%s%n",
        ]
    ),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def route_bodies(field_names: list[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(field_names) if field_names else st.text(max_size=12)
    return st.one_of(
        st.dictionaries(keys | st.text(max_size=12), JSON_VALUE, max_size=len(field_names) + 2),
        JSON_VALUE,
    )


def caller_for(
    app: Flask, runtime: Runtime, roles: tuple[str, ...], cache: dict[str, Caller]
) -> Caller:
    role = roles[0]
    if role not in cache:
        if role in ("admin", "staff", "security"):
            cache[role] = login_as(app, runtime, role, f"fuzz_{role}")
        elif role == "driver":
            from models import Driver
            from models.db import transaction
            from tests.factories import at

            with transaction(runtime.sessions) as db:
                driver = Driver(
                    name="Fuzz Driver", phone="+8613800000001", shift_start=at(0), shift_end=at(9)
                )
                db.add(driver)
                db.flush()
                driver_id = driver.id
            cache[role] = device_caller(app, runtime, "driver", "fuzz-driver", driver_id=driver_id)
        else:
            cache[role] = device_caller(app, runtime, role, f"fuzz-{role}")
    return cache[role]


def fuzz_route(
    method: str, url: str, caller: Caller, fields: list[str], failures: list[str]
) -> None:
    """Send generated bodies to one route; record answers that are 5xx or not an envelope."""

    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(body=route_bodies(fields))
    def fuzz(body: Any) -> None:
        res = caller.client.open(url, method=method, json=body, headers=caller.headers)
        payload = res.get_json(silent=True)
        if res.status_code >= 500 or (
            res.status_code >= 400
            and not (isinstance(payload, dict) and "error" in payload and "message" in payload)
        ):
            failures.append(f"{method} {url} {body!r:.120} -> {res.status_code} {payload!r:.200}")

    fuzz()


def test_every_json_route_answers_any_body_with_an_envelope(app: Flask, runtime: Runtime) -> None:
    app.config["RATE_LIMIT_FACTOR"] = 0  # the fuzz sends many requests from one address
    callers: dict[str, Caller] = {}
    failures: list[str] = []
    for route in api_routes(app):
        if route.roles is None or route.method not in ("POST", "PUT", "PATCH"):
            continue
        caller = caller_for(app, runtime, route.roles, callers)
        fuzz_route(route.method, route.url, caller, list(route.fields), failures)
        raw = caller.client.open(
            route.url,
            method=route.method,
            data=b"\xff\xfe{{",
            headers={**caller.headers, "Content-Type": "application/json"},
        )
        if raw.status_code >= 500:
            failures.append(f"{route.method} {route.url} raw bytes -> {raw.status_code}")
    assert failures == []
