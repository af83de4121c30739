"""Sessions end on the server, sockets admit only their own origin, and `next` stays on site.

The attacks of issue 18: a staff cookie copied before logout, a phone cookie copied before its
link was revoked, a page on another origin opening the console's live connection with the
staff cookie, and `/login?next=/%09/evil` sending a user elsewhere after login.
"""

from __future__ import annotations

import base64
import io
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
import socketio as socketio_client
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update

from checkin.portal import code_expiry
from core import accounts
from core.clock import utcnow
from core.runtime import Runtime
from models import Attendee, AuditEntry, Device, StaffUser
from models.db import transaction
from tests.conftest import PASSWORD, Caller
from tests.factories import make_attendee
from tests.servers import run_cli, server
from web.extensions import socketio

NS = "/live"
COOKIE = "summit_session"


def copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another client holding the same session cookie (an attacker who copied it)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def device_count(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Device)) or 0)


# Staff sessions


def test_a_cookie_copied_before_logout_is_refused_after_it(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    thief = copy_of(admin.client, app)
    assert thief.get("/api/auth/me").status_code == 200
    assert admin.post("/api/auth/logout").json == {"ok": True}
    res = thief.post("/api/devices", headers=admin.headers, json={"name": "k", "kind": "kiosk"})
    assert (res.status_code, res.json["error"]) == (401, "unauthenticated")
    assert device_count(runtime) == 0
    assert thief.get("/console").status_code == 302


def test_logout_needs_the_csrf_token_of_a_live_session(admin: Caller) -> None:
    res = admin.client.post("/api/auth/logout")
    assert (res.status_code, res.json["error"]) == (403, "csrf_failed")
    assert admin.get("/api/auth/me").status_code == 200


def test_logging_in_again_after_logout_works(app: Flask, admin: Caller) -> None:
    admin.post("/api/auth/logout")
    again = app.test_client()
    res = again.post("/api/auth/login", json={"username": "admin_user", "password": PASSWORD})
    assert res.status_code == 200 and again.get("/api/auth/me").json["role"] == "admin"


def test_a_cookie_from_before_session_versions_is_refused(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    with admin.client.session_transaction() as cookie:
        del cookie["session_version"]
    assert admin.get("/api/auth/me").status_code == 401


def test_changing_a_password_ends_the_users_sessions(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        accounts.change_password(db, "admin_user", "a brand new password", "test")
    assert admin.get("/api/auth/me").status_code == 401
    fresh = app.test_client()
    login = {"username": "admin_user", "password": "a brand new password"}
    assert fresh.post("/api/auth/login", json=login).status_code == 200
    with runtime.sessions() as db:
        target = f"staff:{admin.principal_id}"
        actions = db.scalars(select(AuditEntry.reason).where(AuditEntry.target == target))
        assert list(actions) == ["password_changed"]


def test_set_password_command_ends_sessions_and_refuses_a_short_password(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "inst"
    instance.mkdir()
    run_cli(instance, "create-user", "desk_admin", "--role", "admin", "--password", PASSWORD)
    out = run_cli(instance, "set-password", "desk_admin", "--password", "another long one")
    assert "sessions were ended" in out
    with pytest.raises(RuntimeError, match="weak_password"):
        run_cli(instance, "set-password", "desk_admin", "--password", "short")


# Staff sockets


def test_logout_closes_the_users_open_live_connection_at_once(
    app: Flask, admin: Caller, staff: Caller
) -> None:
    mine = socketio.test_client(app, namespace=NS, flask_test_client=admin.client)
    other = socketio.test_client(app, namespace=NS, flask_test_client=staff.client)
    assert mine.is_connected(NS) and other.is_connected(NS)
    admin.post("/api/auth/logout")
    assert not mine.is_connected(NS)
    assert other.is_connected(NS)


def test_a_socket_whose_session_ended_elsewhere_stops_at_its_next_event(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    sio = socketio.test_client(app, namespace=NS, flask_test_client=staff.client)
    assert "hotels" in sio.emit("hotel_occupancy", {}, namespace=NS, callback=True)
    # Another server process ended the session: no event reaches this one.
    with transaction(runtime.sessions) as db:
        db.execute(update(StaffUser).values(session_version=StaffUser.session_version + 1))
    answer = sio.emit("hotel_occupancy", {}, namespace=NS, callback=True)
    assert answer["error"] == "forbidden"
    assert not sio.is_connected(NS)


def test_a_logged_out_cookie_cannot_open_a_live_connection(app: Flask, admin: Caller) -> None:
    thief = copy_of(admin.client, app)
    admin.post("/api/auth/logout")
    sio = socketio.test_client(app, namespace=NS, flask_test_client=thief)
    assert not sio.is_connected(NS)


# Phone sessions


def phone_link(app: Flask, runtime: Runtime, staff: Caller) -> tuple[int, str]:
    with transaction(runtime.sessions) as db:
        attendee_id = make_attendee(db, runtime.pii).id
    res = staff.post(f"/api/attendees/{attendee_id}/portal-link")
    assert res.status_code == 200, res.json
    return attendee_id, res.json["code"]


def open_phone(app: Flask, code: str) -> FlaskClient:
    phone = app.test_client()
    assert phone.post("/api/public/phone/login", json={"code": code}).status_code == 200
    assert phone.get("/api/public/phone/status").status_code == 200
    return phone


def refused(phone: FlaskClient) -> bool:
    res = phone.get("/api/public/phone/status")
    return (res.status_code, res.json["error"]) == (401, "phone_login_required")


def test_a_phone_cookie_copied_before_the_phone_logged_out_is_refused(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    _, code = phone_link(app, runtime, staff)
    phone = open_phone(app, code)
    thief = copy_of(phone, app)
    assert phone.post("/api/public/phone/logout").json == {"ok": True}
    assert refused(thief) and refused(phone)


def test_reissuing_the_link_locks_out_the_phone_opened_before(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    attendee_id, code = phone_link(app, runtime, staff)
    lost = open_phone(app, code)
    new = staff.post(f"/api/attendees/{attendee_id}/portal-link").json["code"]
    assert refused(lost)
    open_phone(app, new)


def test_staff_revoke_a_link_its_code_and_its_open_phones_audited(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    attendee_id, code = phone_link(app, runtime, staff)
    phone = open_phone(app, code)
    unused = staff.post(f"/api/attendees/{attendee_id}/portal-link").json["code"]
    res = staff.post(
        f"/api/attendees/{attendee_id}/portal-link/revoke", json={"reason": "phone stolen"}
    )
    assert res.json == {"ok": True}
    assert refused(phone)
    late = app.test_client().post("/api/public/phone/login", json={"code": unused})
    assert (late.status_code, late.json["error"]) == (401, "portal_code_invalid")
    with runtime.sessions() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "portal_link_revoked")
        ).one()
        assert (entry.actor, entry.reason) == (f"staff:{staff.principal_id}", "phone stolen")


def test_revoking_needs_staff_and_an_existing_attendee(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    res = app.test_client().post("/api/attendees/1/portal-link/revoke", json={})
    assert res.status_code == 401
    res = staff.post("/api/attendees/999999/portal-link/revoke", json={})
    assert (res.status_code, res.json["error"]) == (404, "attendee_not_found")


def test_an_expired_portal_code_opens_nothing(app: Flask, runtime: Runtime, staff: Caller) -> None:
    attendee_id, code = phone_link(app, runtime, staff)
    with transaction(runtime.sessions) as db:
        db.get_one(Attendee, attendee_id).portal_code_expires_at = utcnow() - timedelta(seconds=1)
    res = app.test_client().post("/api/public/phone/login", json={"code": code})
    assert (res.status_code, res.json["error"]) == (401, "portal_code_expired")


def test_portal_codes_live_as_long_as_configured(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    runtime.config = runtime.config.with_changes(portal_code_ttl_hours=2.0)
    attendee_id, _ = phone_link(app, runtime, staff)
    with runtime.sessions() as db:
        expires = db.get_one(Attendee, attendee_id).portal_code_expires_at
    assert expires is not None
    assert abs(expires - (utcnow() + timedelta(hours=2))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        # 08:00 and 23:30 in Shanghai (UTC+8) both end at the next Shanghai midnight, 16:00 UTC.
        (datetime(2026, 12, 7, 0, 0), datetime(2026, 12, 7, 16, 0)),
        (datetime(2026, 12, 7, 15, 30), datetime(2026, 12, 7, 16, 0)),
        # 00:30 in Shanghai on the 8th is already the next summit day.
        (datetime(2026, 12, 7, 16, 30), datetime(2026, 12, 8, 16, 0)),
    ],
)
def test_by_default_a_portal_code_ends_with_the_summit_day(
    issued: datetime, expires: datetime
) -> None:
    assert code_expiry(issued, None) == expires


# Socket.IO origin


def handshake(client: FlaskClient, origin: str) -> int:
    res = client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    return res.status_code


def test_a_socket_handshake_from_another_origin_is_refused(app: Flask, admin: Caller) -> None:
    assert handshake(admin.client, "http://evil.example") == 400
    assert handshake(admin.client, "http://localhost.evil.example") == 400
    assert handshake(admin.client, "http://localhost") == 200  # the test client's own host


def test_configured_origins_replace_the_same_origin_default(
    runtime: Runtime, admin: Caller
) -> None:
    from kiosk_ui.app import create_app

    runtime.config = runtime.config.with_changes(
        socketio_allowed_origins=("https://console.example",)
    )
    other = create_app(runtime=runtime)
    try:
        client = other.test_client()
        assert handshake(client, "https://console.example") == 200
        assert handshake(client, "http://evil.example") == 400
    finally:
        other.extensions["summit_unsubscribe"]()


@pytest.mark.slow
def test_a_page_elsewhere_cannot_open_the_consoles_live_connection(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    instance.mkdir()
    run_cli(instance, "create-user", "sock_admin", "--role", "admin", "--password", PASSWORD)
    with server(instance) as base:
        http = requests.Session()
        login = {"username": "sock_admin", "password": PASSWORD}
        http.post(f"{base}/api/auth/login", json=login).raise_for_status()
        cookie = f"{COOKIE}={http.cookies[COOKIE]}"

        hello: list[dict[str, object]] = []

        def connect(origin: str) -> socketio_client.Client:
            # As a browser would send it: the page's origin, and the cookie of the server.
            sio = socketio_client.Client(
                reconnection=False, websocket_extra_options={"origin": origin}
            )
            sio.on("hello", hello.append, namespace=NS)
            sio.connect(
                base,
                namespaces=[NS],
                transports=["websocket"],
                headers={"Cookie": cookie},
                wait_timeout=5,
            )
            return sio

        with pytest.raises(socketio_client.exceptions.ConnectionError):
            connect("http://127.0.0.1.evil.example")
        own = connect(base)
        deadline = time.monotonic() + 5
        while not hello and time.monotonic() < deadline:
            time.sleep(0.05)
        own.disconnect()
        assert [h["role"] for h in hello] == ["admin"]


# Redirect after login

FOREIGN_NEXTS = [
    "/%09/127.0.0.1:5099/pwned",  # the finding: browsers drop the tab, leaving //127.0.0.1
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%20/evil.example",
    "/%00/evil.example",
    "//evil.example",
    "/%2F/evil.example",
    "/%252F/evil.example",  # twice encoded
    "/%5Cevil.example",
    "/\\evil.example",
    "https://evil.example/console",
    "javascript:alert(1)",
    "console",
    "/console%E2%80%8B/x",  # a zero-width space (format character)
]


@pytest.mark.parametrize("target", FOREIGN_NEXTS)
def test_next_outside_this_site_falls_back_to_the_console(admin: Caller, target: str) -> None:
    res = admin.client.get(f"/login?next={target}")
    assert (res.status_code, res.headers["Location"]) == (302, "/console")


def test_next_outside_this_site_is_not_put_in_the_login_form(client: FlaskClient) -> None:
    page = client.get("/login?next=/%09/127.0.0.1:5099/pwned").get_data(as_text=True)
    assert 'data-next="/console"' in page


def test_next_on_this_site_is_followed(admin: Caller) -> None:
    res = admin.client.get("/login?next=/console/security%3Fview%3Dalerts")
    assert res.headers["Location"] == "/console/security?view=alerts"


def test_the_phone_draws_its_qr_and_the_server_draws_it_only_when_asked(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    _attendee_id, code = phone_link(app, runtime, staff)
    phone = open_phone(app, code)
    plain = phone.get("/api/public/phone/status")
    assert plain.status_code == 200 and plain.json["code"] and "qr" not in plain.json
    drawn = phone.get("/api/public/phone/status?qr=1").json
    png = base64.b64decode(drawn["qr"].split(",", 1)[1])
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [r.text for r in decoded] == [drawn["code"]]
    bad = phone.get("/api/public/phone/status?qr=yes")
    assert bad.status_code == 400 and bad.json["error"] == "invalid_qr_option", bad.json
    assert bad.json["message"]
