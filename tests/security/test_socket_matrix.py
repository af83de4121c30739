"""Every "/live" Socket.IO event against every kind of caller; revoked tokens stop at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from core import accounts
from core.clock import utcnow
from core.runtime import Runtime
from models import Driver
from models.db import transaction
from tests.conftest import device_caller, login_as
from tests.factories import make_gate, make_zone
from tests.hotel.helpers import make_hotel
from web.extensions import socketio

ROLES = ("driver", "kiosk", "gate", "hotel_desk", "staff", "security", "admin")
DENIED = {"forbidden", "unauthenticated", "wrong_device_kind", "device_not_bound", "wrong_gate"}


@dataclass
class Links:
    gate_id: int
    driver_id: int
    hotel_id: int


@pytest.fixture
def links(runtime: Runtime) -> Links:
    with transaction(runtime.sessions) as db:
        gate = make_gate(db, make_zone(db))
        driver = Driver(
            name="王师傅", phone="13800000000", shift_start=utcnow(), shift_end=utcnow()
        )
        db.add(driver)
        db.flush()
        return Links(gate.id, driver.id, make_hotel(db, "SEC").id)


def connect(app: Flask, runtime: Runtime, role: str, links: Links) -> Any:
    """A Socket.IO test client connected as `role` (a device token or a staff login)."""
    if role in ("staff", "security", "admin"):
        caller = login_as(app, runtime, role)
        return socketio.test_client(app, namespace="/live", flask_test_client=caller.client)
    extra = {
        "gate": {"gate_id": links.gate_id},
        "kiosk": {"gate_id": links.gate_id},
        "hotel_desk": {"hotel_id": links.hotel_id},
        "driver": {"driver_id": links.driver_id},
    }
    caller = device_caller(app, runtime, role, **extra.get(role, {}))
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    return socketio.test_client(app, namespace="/live", auth={"token": token})


def code_body(links: Links) -> dict[str, Any]:
    return {"code": "not-a-code", "nonce": uuid.uuid4().hex, "gate_id": links.gate_id}


def frame_body(purpose: str) -> Any:
    return lambda v: {"image": b"\xff\xd8junk", "t": 0.0, "purpose": purpose, "gate_id": v.gate_id}


# (event, purpose) -> (roles whose device may do this where it is bound, payload builder)
EVENTS: dict[tuple[str, str], tuple[set[str], Any]] = {
    ("catch_up", ""): (set(ROLES), lambda _l: {"after": 0}),
    ("camera_code", "gate"): ({"gate", "kiosk"}, code_body),
    ("camera_frame", "gate"): ({"gate", "kiosk"}, frame_body("gate")),
    ("camera_frame", "hotel"): ({"hotel_desk"}, frame_body("hotel")),
    ("camera_frame", "assistant"): ({"gate", "kiosk", "hotel_desk"}, frame_body("assistant")),
    ("camera_frame", "journey"): ({"kiosk", "hotel_desk"}, frame_body("journey")),
    ("camera_stop", ""): (set(ROLES), lambda _l: None),
    ("trip_ack", ""): ({"driver"}, lambda _l: {"seq": 0, "trips": {}}),
    ("driver_sync", ""): ({"driver"}, lambda _l: {}),
}


def error_of(answer: Any) -> str | None:
    return answer.get("error") if isinstance(answer, dict) else None


def test_an_anonymous_socket_is_refused_at_connect(app: Flask) -> None:
    client = socketio.test_client(app, namespace="/live")
    assert not client.is_connected("/live")
    bad = socketio.test_client(app, namespace="/live", auth={"token": "1.forged"})
    assert not bad.is_connected("/live")


@pytest.mark.parametrize("role", ROLES)
def test_every_live_event_answers_or_refuses_each_role_as_designed(
    app: Flask, runtime: Runtime, links: Links, role: str
) -> None:
    client = connect(app, runtime, role, links)
    assert client.is_connected("/live")
    for (event, purpose), (allowed, payload) in EVENTS.items():
        answer = client.emit(event, payload(links), namespace="/live", callback=True)
        code = error_of(answer)
        if role in allowed:
            assert code not in DENIED, (event, purpose, role, answer)
        else:
            assert code in DENIED, (event, purpose, role, answer)
    client.disconnect(namespace="/live")


def test_a_revoked_device_token_stops_on_its_open_socket_and_on_http(
    app: Flask, runtime: Runtime, links: Links
) -> None:
    gate = device_caller(app, runtime, "gate", "gate-revoked", gate_id=links.gate_id)
    token = gate.headers["Authorization"].removeprefix("Bearer ")
    client = socketio.test_client(app, namespace="/live", auth={"token": token})
    before = client.emit("camera_code", code_body(links), namespace="/live", callback=True)
    assert error_of(before) not in DENIED, before
    with transaction(runtime.sessions) as db:
        accounts.revoke_device(db, int(token.split(".")[0]), "test", "stolen")
    assert not client.is_connected("/live")  # closed at once when the revocation is published
    res = gate.post(
        f"/api/gates/{links.gate_id}/pass",
        json={"method": "code", "code": "x", "nonce": uuid.uuid4().hex},
    )
    assert res.status_code == 401 and res.json["error"] == "token_revoked"
    again = socketio.test_client(app, namespace="/live", auth={"token": token})
    assert not again.is_connected("/live")
