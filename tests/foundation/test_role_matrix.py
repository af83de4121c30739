"""Every /api route against every kind of caller: refused exactly when its role list says so.

The matrix is read from the app itself (each route's `requires(...)` roles), so a route added
later is covered without editing this file; a route without `requires` must be listed in
PUBLIC on purpose.
"""

from __future__ import annotations

import pytest
from flask import Flask

from core.runtime import Runtime
from tests.conftest import Caller, device_caller, login_as
from tests.route_table import api_routes, route_index

PUBLIC = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/health"),
}
PUBLIC_PREFIXES = ("/api/public/",)  # routes that identify callers by a code of their own
ROLE_REFUSALS = {"unauthenticated", "forbidden", "csrf_failed"}
STAFF_ROLES = ("admin", "staff", "security")
DEVICE_KINDS = ("kiosk", "gate", "hotel_desk", "airport_desk", "registration", "driver")
# Routes of the trust model whose roles are part of the design (docs/trust.md): pinned here so
# that widening one is a visible change, not a silent pass of the sweep below. Tickets and
# bindings on the device routes are checked in test_trust_matrix.py.
TRUST_ROUTES = {
    ("GET", "/api/devices"): ("admin",),
    ("POST", "/api/devices"): ("admin",),
    ("POST", "/api/devices/999999/binding"): ("admin",),
    ("POST", "/api/devices/999999/liveness"): ("admin",),
    ("POST", "/api/devices/999999/revoke"): ("admin",),
    ("POST", "/api/recognition/identify"): ("kiosk", "gate", "hotel_desk", "airport_desk"),
    ("POST", "/api/recognition/identify-code"): ("kiosk", "gate", "hotel_desk", "airport_desk"),
    ("POST", "/api/gates/999999/pass"): ("gate", "kiosk"),
    ("POST", "/api/hotel/kiosk/identify"): ("hotel_desk",),
    ("POST", "/api/hotel/kiosk/check-in"): ("hotel_desk",),
    ("POST", "/api/hotel/kiosk/check-out"): ("hotel_desk",),
}


def callers(app: Flask, runtime: Runtime) -> dict[str, Caller]:
    from models import Driver
    from models.db import transaction
    from tests.factories import at

    with transaction(runtime.sessions) as db:
        driver = Driver(
            name="Test Driver", phone="+8613800000000", shift_start=at(0), shift_end=at(10)
        )
        db.add(driver)
        db.flush()
        driver_id = driver.id
    out = {role: login_as(app, runtime, role) for role in STAFF_ROLES}
    for kind in DEVICE_KINDS:
        links = {"driver_id": driver_id} if kind == "driver" else {}
        out[kind] = device_caller(app, runtime, kind, **links)
    return out


def call(caller: Caller | None, app: Flask, method: str, url: str):  # type: ignore[no-untyped-def]
    client = caller.client if caller else app.test_client()
    headers = caller.headers if caller else {}
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.open(url, method=method, headers=headers, **kwargs)


def test_every_api_route_is_protected_or_listed_as_public(app: Flask) -> None:
    unprotected = [
        (r.method, r.url)
        for r in api_routes(app)
        if r.roles is None
        and (r.method, r.url) not in PUBLIC
        and not r.url.startswith(PUBLIC_PREFIXES)
    ]
    assert unprotected == []


def test_trust_routes_admit_exactly_the_designed_callers(app: Flask) -> None:
    routes = route_index(app)
    got = {key: tuple(sorted(routes[key].roles or ())) for key in TRUST_ROUTES if key in routes}
    assert got == {key: tuple(sorted(roles)) for key, roles in TRUST_ROUTES.items()}


def test_role_matrix_for_every_route(app: Flask, runtime: Runtime) -> None:
    everyone = callers(app, runtime)
    problems = []
    for route in api_routes(app):
        method, url, roles = route.method, route.url, route.roles
        if roles is None:
            continue
        res = call(None, app, method, url)
        if res.status_code != 401:
            problems.append(f"anonymous {method} {url} -> {res.status_code}")
        for role, caller in everyone.items():
            res = call(caller, app, method, url)
            code = (res.get_json(silent=True) or {}).get("error")
            allowed = role in roles
            if allowed and code in ROLE_REFUSALS:
                problems.append(f"{role} {method} {url} refused: {code}")
            if not allowed and (res.status_code != 403 or code != "forbidden"):
                problems.append(f"{role} {method} {url} not refused: {res.status_code} {code}")
    assert problems == []


def test_staff_writes_without_the_csrf_header_are_refused(app: Flask, runtime: Runtime) -> None:
    admin = login_as(app, runtime, "admin")
    res = admin.client.post(
        "/api/users", json={"username": "x_user", "password": "long enough pw", "role": "staff"}
    )
    assert res.status_code == 403 and res.json["error"] == "csrf_failed"


@pytest.mark.parametrize(
    "header", ["Bearer ", "Bearer abc", "Bearer 1.", "Bearer 99.secret", "Basic x"]
)
def test_bad_bearer_tokens_are_unauthorised(client, header: str) -> None:  # type: ignore[no-untyped-def]
    res = client.get("/api/auth/me", headers={"Authorization": header})
    assert res.status_code == 401


def test_login_is_rate_limited(client) -> None:  # type: ignore[no-untyped-def]
    codes = [
        client.post("/api/auth/login", json={"username": "nobody", "password": "x"}).json["error"]
        for _ in range(11)
    ]
    assert codes[:10] == ["bad_credentials"] * 10 and codes[10] == "rate_limited"


def test_tokens_are_shown_once_and_stored_hashed(admin: Caller, runtime: Runtime) -> None:
    from sqlalchemy import select

    from models import Device

    res = admin.post("/api/devices", json={"name": "gate-east-1", "kind": "kiosk"})
    token = res.json["token"]
    assert admin.get("/api/devices").json["devices"][0].get("token") is None
    with runtime.sessions() as db:
        stored = db.scalars(select(Device)).one()
    assert token.split(".")[1] not in stored.token_hash
