"""Domain events reach the right Socket.IO rooms, and reconnecting clients catch up by seq."""

from __future__ import annotations

from flask import Flask

from core.events import emit
from core.runtime import Runtime
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.transport.helpers import make_driver
from web.extensions import socketio
from web.live import CATCH_UP_PAGE


def publish(runtime: Runtime, name: str, rooms: list[str], **data: object) -> None:
    with transaction(runtime.sessions) as db:
        emit(db, name, dict(data), rooms)


def received(client) -> list[dict]:  # type: ignore[no-untyped-def]
    return [m["args"][0] for m in client.get_received("/live") if m["name"] == "event"]


def connect_staff(app: Flask, caller: Caller):  # type: ignore[no-untyped-def]
    return socketio.test_client(app, namespace="/live", flask_test_client=caller.client)


def test_console_event_reaches_staff_and_not_kiosks(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    kiosk = device_caller(app, runtime, "kiosk")
    console = connect_staff(app, staff)
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    device = socketio.test_client(app, namespace="/live", auth={"token": token})
    assert console.is_connected("/live") and device.is_connected("/live")
    console.get_received("/live")
    device.get_received("/live")
    publish(runtime, "attendee_checked_in", ["console"], attendee_id=1)
    publish(runtime, "kiosk_message", [f"kiosk:{kiosk.principal_id}"], text="hi")
    assert [e["event"] for e in received(console)] == ["attendee_checked_in"]
    assert [e["event"] for e in received(device)] == ["kiosk_message"]


def test_anonymous_and_revoked_sockets_are_refused(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    assert not socketio.test_client(app, namespace="/live").is_connected("/live")
    assert not socketio.test_client(app, namespace="/live", auth={"token": "1.bogus"}).is_connected(
        "/live"
    )
    kiosk = device_caller(app, runtime, "kiosk")
    admin.post(f"/api/devices/{kiosk.principal_id}/revoke", json={"reason": "stolen"})
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    assert not socketio.test_client(app, namespace="/live", auth={"token": token}).is_connected(
        "/live"
    )
    assert kiosk.get("/api/auth/me").json["error"] == "token_revoked"


def test_reconnecting_console_receives_missed_events_in_order(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    console = connect_staff(app, staff)
    console.get_received("/live")
    publish(runtime, "first", ["console"])
    last_seen = received(console)[-1]["seq"]
    console.disconnect("/live")
    publish(runtime, "second", ["console"])
    publish(runtime, "driver_only", ["driver:9"])
    publish(runtime, "third", ["console"])
    console = connect_staff(app, staff)
    console.get_received("/live")
    ack = console.emit("catch_up", {"after": last_seen}, namespace="/live", callback=True)
    assert ack["count"] == 2
    missed = received(console)
    assert [e["event"] for e in missed] == ["second", "third"]
    assert missed[0]["seq"] < missed[1]["seq"]


def test_catch_up_validates_its_cursor(app: Flask, staff: Caller) -> None:
    console = connect_staff(app, staff)
    ack = console.emit("catch_up", {"after": "x"}, namespace="/live", callback=True)
    assert ack["error"] == "validation_error"


def test_rolled_back_changes_publish_nothing(app: Flask, runtime: Runtime, staff: Caller) -> None:
    console = connect_staff(app, staff)
    console.get_received("/live")
    try:
        with transaction(runtime.sessions) as db:
            emit(db, "never", {}, ["console"])
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert received(console) == []


def test_revoking_a_device_closes_its_open_live_connection_at_once(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    kiosk = device_caller(app, runtime, "kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    device = socketio.test_client(app, namespace="/live", auth={"token": token})
    assert device.is_connected("/live")
    res = admin.post(f"/api/devices/{kiosk.principal_id}/revoke", json={"reason": "stolen"})
    assert res.status_code == 200
    assert not device.is_connected("/live")


def _driver_socket(app: Flask, runtime: Runtime, driver_id: int):  # type: ignore[no-untyped-def]
    phone = device_caller(app, runtime, "driver", f"phone-{driver_id}", driver_id=driver_id)
    token = phone.headers["Authorization"].removeprefix("Bearer ")
    return socketio.test_client(app, namespace="/live", auth={"token": token})


def test_catch_up_finds_a_drivers_events_among_more_than_a_page_of_others(
    app: Flask, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as db:
        driver_id = make_driver(db).id
    with transaction(runtime.sessions) as db:  # 12 own events spread through 1,200 others
        for n in range(1200):
            emit(db, "attendee_checked_in", {"n": n}, ["console"])
            if n % 100 == 99:
                emit(db, "trip_updated", {"n": n}, [f"driver:{driver_id}"])
    phone = _driver_socket(app, runtime, driver_id)
    phone.get_received("/live")
    ack = phone.emit("catch_up", {"after": 0}, namespace="/live", callback=True)
    messages = phone.get_received("/live")
    events = [m["args"][0] for m in messages if m["name"] == "event"]
    assert [e["data"]["n"] for e in events] == list(range(99, 1200, 100))
    assert messages[-1]["name"] == "caught_up" and ack["count"] == 12
    assert ack["seq"] == events[-1]["seq"]


def test_catch_up_pages_until_every_missed_event_is_sent_in_order(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    total = CATCH_UP_PAGE * 2 + 7
    with transaction(runtime.sessions) as db:
        for n in range(total):
            emit(db, "attendee_checked_in", {"n": n}, ["console"])
    console = connect_staff(app, staff)
    console.get_received("/live")
    ack = console.emit("catch_up", {"after": 0}, namespace="/live", callback=True)
    assert [e["data"]["n"] for e in received(console)] == list(range(total))
    assert ack["count"] == total


def test_catch_up_refuses_a_cursor_beyond_any_sequence_number(app: Flask, staff: Caller) -> None:
    console = connect_staff(app, staff)
    ack = console.emit("catch_up", {"after": 2**70}, namespace="/live", callback=True)
    assert ack["error"] == "validation_error"
