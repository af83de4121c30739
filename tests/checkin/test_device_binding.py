"""A device passes people only where it is bound, and a liveness kiosk refuses still photos."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from checkin.codes import issue_code
from core.runtime import Runtime
from models import AccessEvent, VenueCheckIn
from models.db import transaction
from tests.checkin.conftest import Venue, new_nonce
from tests.checkin.faces import b64, nobody
from tests.checkin.test_camera_stream import connect
from tests.checkin.test_gate_rules import count
from tests.conftest import Caller, device_caller
from tests.hotel.helpers import make_hotel


def code_pass(caller: Caller, gate: int, code: str) -> Any:
    body = {"method": "code", "code": code, "nonce": new_nonce()}
    return caller.post(f"/api/gates/{gate}/pass", json=body)


def socket_code(client: Any, code: str, **extra: Any) -> dict[str, Any]:
    body = {"code": code, "nonce": new_nonce(), **extra}
    return client.emit("camera_code", body, namespace="/live", callback=True)  # type: ignore[no-any-return]


def socket_frame(client: Any, **extra: Any) -> dict[str, Any]:
    body = {"image": nobody(), "t": 0.0, **extra}
    return client.emit("camera_frame", body, namespace="/live", callback=True)  # type: ignore[no-any-return]


@pytest.fixture
def other_kiosk(app: Flask, runtime: Runtime, venue: Venue) -> Caller:
    """A kiosk bound to hall gate A2 (not A1)."""
    return device_caller(app, runtime, "kiosk", "kiosk-A2", gate_id=venue.gate_in2, liveness=False)


def test_a_kiosk_cannot_pass_anyone_at_a_gate_it_is_not_bound_to(
    app: Flask, runtime: Runtime, venue: Venue, other_kiosk: Caller
) -> None:
    code = issue_code(runtime, venue.delegate)
    res = code_pass(other_kiosk, venue.gate_in, code)
    assert (res.status_code, res.json["error"]) == (403, "wrong_gate")
    photo = {"method": "face", "image": b64(nobody()), "nonce": new_nonce()}
    res = other_kiosk.post(f"/api/gates/{venue.gate_in}/pass", json=photo)
    assert (res.status_code, res.json["error"]) == (403, "wrong_gate")
    client = connect(app, other_kiosk)
    assert socket_code(client, code, gate_id=venue.gate_in)["error"] == "wrong_gate"
    assert socket_frame(client, gate_id=venue.gate_in)["error"] == "wrong_gate"
    assert count(runtime, AccessEvent) == 0
    assert code_pass(other_kiosk, venue.gate_in2, code).json["granted"]  # its own gate works


def test_an_unbound_kiosk_is_told_to_get_bound_first(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-loose", liveness=False)
    code = issue_code(runtime, venue.delegate)
    res = code_pass(kiosk, venue.gate_in, code)
    assert (res.status_code, res.json["error"]) == (403, "device_not_bound")
    client = connect(app, kiosk)
    assert socket_code(client, code, gate_id=venue.gate_in)["error"] == "device_not_bound"
    assert socket_frame(client)["error"] == "device_not_bound"
    assert count(runtime, AccessEvent) == 0


def test_a_gate_device_cannot_pass_people_at_another_gate(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    res = code_pass(gate_device, venue.gate_in2, issue_code(runtime, venue.delegate))
    assert (res.status_code, res.json["error"]) == (403, "wrong_gate")
    assert count(runtime, AccessEvent) == 0


def test_a_still_photo_at_a_liveness_kiosk_is_a_recorded_liveness_required_denial(
    runtime: Runtime, venue: Venue, live_kiosk: Caller
) -> None:
    photo = {"method": "face", "image": b64(nobody()), "nonce": new_nonce()}
    res = live_kiosk.post(f"/api/gates/{venue.gate_in}/pass", json=photo)
    assert res.status_code == 200
    assert (res.json["granted"], res.json["reason"]) == (False, "liveness_required")
    assert count(runtime, AccessEvent) == 1 and count(runtime, VenueCheckIn) == 0


def test_a_hotel_desk_cannot_act_as_a_gate_and_a_gate_cannot_act_as_a_hotel_desk(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller
) -> None:
    with transaction(runtime.sessions) as db:
        hotel_id = make_hotel(db, "BND").id
    desk = device_caller(app, runtime, "hotel_desk", "desk-BND", hotel_id=hotel_id, liveness=False)
    code = issue_code(runtime, venue.delegate)
    assert code_pass(desk, venue.gate_in, code).status_code == 403
    client = connect(app, desk)
    assert socket_frame(client, gate_id=venue.gate_in)["error"] == "wrong_device_kind"
    assert socket_code(client, code)["error"] == "wrong_device_kind"
    gate = connect(app, gate_device)
    assert socket_frame(gate, purpose="hotel")["error"] == "wrong_device_kind"
    assert count(runtime, AccessEvent) == 0


def test_staff_cannot_send_camera_frames(app: Flask, staff: Caller) -> None:
    from web.extensions import socketio

    client = socketio.test_client(app, namespace="/live", flask_test_client=staff.client)
    assert socket_frame(client)["error"] == "forbidden"
