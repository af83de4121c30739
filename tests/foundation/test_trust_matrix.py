"""Tickets and bindings on every device-facing route that needs one (docs/trust.md).

The role matrix (test_role_matrix.py) checks *which kind* of caller may use a route. This one
checks what a right kind of device still may not do: act without an identification ticket,
with a ticket issued to another device, or at a place it is not bound to. Each refusal is
checked with its code and with nothing stored; each route also has a control call that the
same set-up lets through, so a refusal cannot pass for the wrong reason.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from checkin.codes import issue_code
from core.clock import utcnow
from core.runtime import Runtime
from hotel.clock import hotel_night
from models import AccessEvent, Hotel, Stay, TicketUse
from models.db import transaction
from models.venue import CodeUse
from tests.checkin.conftest import Venue, build_venue
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay
from tests.route_table import api_routes

TONIGHT = hotel_night(utcnow())
NIGHTS = [TONIGHT, TONIGHT + timedelta(days=1)]
# Routes that take an identification ticket (as a body field or a query parameter) or act
# only where the device is bound; a new one must be added here and get its tests below.
TRUSTED_ROUTES = {
    ("POST", "/api/recognition/identify"),  # liveness policy of the device
    ("POST", "/api/recognition/identify-code"),  # issues tickets to the calling device only
    ("POST", "/api/gates/999999/pass"),  # binding: the gate the device stands at
    ("POST", "/api/hotel/kiosk/identify"),  # binding: the desk's hotel; ticket or code
    ("POST", "/api/hotel/kiosk/check-in"),  # single-use ticket
    ("POST", "/api/hotel/kiosk/check-out"),  # single-use ticket
    ("POST", "/api/speech/query"),  # ?ticket= for personal answers
    ("POST", "/api/speech/ask"),  # ticket in the body for personal typed or tapped answers
    ("GET", "/api/transport/attendees/999999/trips"),  # ?ticket= naming the attendee
}


def count(rt: Runtime, model: type) -> int:
    with transaction(rt.sessions, read_only=True) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def code_ticket(rt: Runtime, device: Caller, attendee_id: int, purpose: str = "journey") -> str:
    """A ticket for `device`, from the attendee's entrance code (no face engine needed)."""
    res = device.post(
        "/api/recognition/identify-code",
        json={"code": issue_code(rt, attendee_id), "purpose": purpose},
    )
    assert res.status_code == 200 and res.json["ticket"], res.json
    return str(res.json["ticket"])


def test_every_ticket_taking_route_is_in_this_matrix(app: Flask) -> None:
    taking = {(r.method, r.url) for r in api_routes(app) if "ticket" in r.fields}
    assert taking <= TRUSTED_ROUTES
    existing = {(r.method, r.url) for r in api_routes(app)}
    assert existing >= TRUSTED_ROUTES


# -- venue gates: a kiosk passes people only at the gate it is bound to --------------------
@pytest.fixture
def venue(runtime: Runtime) -> Venue:
    return build_venue(runtime)


def pass_by_code(device: Caller, rt: Runtime, gate_id: int, attendee_id: int):  # type: ignore[no-untyped-def]
    body = {"method": "code", "code": issue_code(rt, attendee_id), "nonce": uuid.uuid4().hex}
    return device.post(f"/api/gates/{gate_id}/pass", json=body)


@pytest.mark.parametrize(
    ("kind", "bound_to", "code"),
    [
        ("kiosk", None, "device_not_bound"),
        ("kiosk", "gate_in2", "wrong_gate"),
        ("gate", "gate_in2", "wrong_gate"),
    ],
)
def test_a_device_not_bound_to_the_gate_passes_no_one_there(
    app: Flask, runtime: Runtime, venue: Venue, kind: str, bound_to: str | None, code: str
) -> None:
    links = {"gate_id": getattr(venue, bound_to)} if bound_to else {}
    device = device_caller(app, runtime, kind, f"{kind}-elsewhere", **links)
    res = pass_by_code(device, runtime, venue.gate_in, venue.delegate)
    assert (res.status_code, res.json["error"]) == (403, code)
    assert count(runtime, AccessEvent) == 0 and count(runtime, CodeUse) == 0


def test_a_kiosk_bound_to_the_gate_passes_people_there(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-A1", gate_id=venue.gate_in)
    res = pass_by_code(kiosk, runtime, venue.gate_in, venue.delegate)
    assert res.status_code == 200 and res.json["granted"], res.json


def test_a_still_photo_at_a_gate_kiosk_that_checks_liveness_is_refused(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-A1", gate_id=venue.gate_in)
    body = {"method": "face", "image": "aGVsbG8gd29ybGQ=", "nonce": uuid.uuid4().hex}
    res = kiosk.post(f"/api/gates/{venue.gate_in}/pass", json=body)
    assert res.json.get("granted") is not True
    assert "liveness_required" in (res.json.get("reason"), res.json.get("error"))


# -- still photos: only where an admin turned liveness off ----------------------------------
def test_identify_refuses_a_still_photo_until_an_admin_allows_photos_there(
    app: Flask, runtime: Runtime, admin: Caller
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", "assistant-kiosk")
    res = kiosk.post("/api/recognition/identify", data={"image": (_blank_jpeg(), "p.jpg")})
    assert (res.status_code, res.json["error"]) == (403, "liveness_required")
    admin.post(
        f"/api/devices/{kiosk.principal_id}/liveness",
        json={"required": False, "reason": "information desk, staffed"},
    )
    res = kiosk.post("/api/recognition/identify", data={"image": (_blank_jpeg(), "p.jpg")})
    assert res.json.get("error") != "liveness_required", res.json
    assert res.json.get("ticket") is None  # nobody on a blank photo, so no ticket


def _blank_jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 200, 200)).save(out, "JPEG")
    out.seek(0)
    return out


# -- hotel lobby kiosk: its hotel only, single-use tickets, codes used once -----------------
@dataclass
class Hotels:
    here: int
    there: int
    guest: int  # booked here, tonight
    desk: Caller  # bound here
    other_desk: Caller  # bound to the other hotel


@pytest.fixture
def hotels(app: Flask, runtime: Runtime) -> Hotels:
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=NIGHTS)
        there = make_hotel(db, "THERE", nights=NIGHTS)
        guest = make_attendee(db, runtime.pii).id
        make_stay(
            db,
            guest,
            here,
            check_in_date=TONIGHT,
            check_out_date=NIGHTS[-1] + timedelta(days=1),
        )
        ids = here.id, there.id
    desk = device_caller(app, runtime, "hotel_desk", "desk-here", hotel_id=ids[0])
    other = device_caller(app, runtime, "hotel_desk", "desk-there", hotel_id=ids[1])
    return Hotels(ids[0], ids[1], guest, desk, other)


def checked_in(rt: Runtime) -> int:
    with transaction(rt.sessions, read_only=True) as db:
        return db.scalar(select(func.count(Stay.id)).where(Stay.state == "checked_in")) or 0


def hotel_ticket(rt: Runtime, desk: Caller, attendee_id: int) -> str:
    res = desk.post("/api/hotel/kiosk/identify", json={"code": issue_code(rt, attendee_id)})
    assert res.status_code == 200, res.json
    return str(res.json["ticket"])


def test_an_unbound_hotel_desk_identifies_no_one(
    app: Flask, runtime: Runtime, hotels: Hotels
) -> None:
    unbound = device_caller(app, runtime, "hotel_desk", "desk-nowhere")
    res = unbound.post("/api/hotel/kiosk/identify", json={"code": issue_code(runtime, 1)})
    assert (res.status_code, res.json["error"]) == (403, "device_not_bound")
    assert count(runtime, CodeUse) == 0


def test_a_desk_at_another_hotel_does_not_serve_the_guest(runtime: Runtime, hotels: Hotels) -> None:
    res = hotels.other_desk.post(
        "/api/hotel/kiosk/identify", json={"code": issue_code(runtime, hotels.guest)}
    )
    assert res.status_code in (403, 409) and res.json["error"] == "wrong_hotel", res.json
    assert res.json.get("ticket") is None


@pytest.mark.parametrize("action", ["check-in", "check-out"])
def test_hotel_check_in_and_out_need_a_ticket(
    hotels: Hotels, runtime: Runtime, action: str
) -> None:
    for body in ({}, {"ticket": ""}, {"attendee_id": hotels.guest}):
        res = hotels.desk.post(f"/api/hotel/kiosk/{action}", json=body)
        assert res.status_code in (400, 403), (body, res.json)
    res = hotels.desk.post(f"/api/hotel/kiosk/{action}", json={"ticket": "x" * 40})
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")
    assert checked_in(runtime) == 0 and count(runtime, TicketUse) == 0


def test_a_ticket_issued_to_another_desk_checks_no_one_in(runtime: Runtime, hotels: Hotels) -> None:
    ticket = hotel_ticket(runtime, hotels.desk, hotels.guest)
    res = hotels.other_desk.post("/api/hotel/kiosk/check-in", json={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")
    assert checked_in(runtime) == 0 and count(runtime, TicketUse) == 0
    res = hotels.desk.post("/api/hotel/kiosk/check-in", json={"ticket": ticket})
    assert res.status_code == 200, res.json  # the control: the desk it was issued to


def test_a_hotel_ticket_works_once(runtime: Runtime, hotels: Hotels) -> None:
    ticket = hotel_ticket(runtime, hotels.desk, hotels.guest)
    assert hotels.desk.post("/api/hotel/kiosk/check-in", json={"ticket": ticket}).status_code == 200
    res = hotels.desk.post("/api/hotel/kiosk/check-out", json={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_used")
    assert checked_in(runtime) == 1


def test_a_ticket_for_journeys_opens_no_hotel_room(
    app: Flask, runtime: Runtime, hotels: Hotels
) -> None:
    ticket = code_ticket(runtime, hotels.desk, hotels.guest, "journey")
    res = hotels.desk.post("/api/hotel/kiosk/check-in", json={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_wrong_purpose")
    assert checked_in(runtime) == 0


def test_an_entrance_code_used_at_the_hotel_is_not_used_again(
    runtime: Runtime, hotels: Hotels
) -> None:
    code = issue_code(runtime, hotels.guest)
    first = hotels.desk.post("/api/hotel/kiosk/identify", json={"code": code})
    assert first.status_code == 200, first.json
    again = hotels.desk.post("/api/hotel/kiosk/identify", json={"code": code})
    assert (again.status_code, again.json["error"]) == (409, "code_replayed")


def test_a_code_used_at_a_gate_opens_nothing_at_the_hotel(
    app: Flask, runtime: Runtime, hotels: Hotels, venue: Venue
) -> None:
    with transaction(runtime.sessions) as db:
        make_stay(
            db,
            venue.delegate,
            db.get_one(Hotel, hotels.here),
            check_in_date=TONIGHT,
            check_out_date=NIGHTS[-1] + timedelta(days=1),
        )
    gate = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)
    code = issue_code(runtime, venue.delegate)
    body = {"method": "code", "code": code, "nonce": uuid.uuid4().hex}
    assert gate.post(f"/api/gates/{venue.gate_in}/pass", json=body).json["granted"]
    res = hotels.desk.post("/api/hotel/kiosk/identify", json={"code": code})
    assert (res.status_code, res.json["error"]) == (409, "code_replayed")


def test_a_code_used_at_the_hotel_opens_no_gate(
    app: Flask, runtime: Runtime, hotels: Hotels, venue: Venue
) -> None:
    with transaction(runtime.sessions) as db:
        make_stay(
            db,
            venue.delegate,
            db.get_one(Hotel, hotels.here),
            check_in_date=TONIGHT,
            check_out_date=NIGHTS[-1] + timedelta(days=1),
        )
    code = issue_code(runtime, venue.delegate)
    assert hotels.desk.post("/api/hotel/kiosk/identify", json={"code": code}).status_code == 200
    gate = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)
    body = {"method": "code", "code": code, "nonce": uuid.uuid4().hex}
    res = gate.post(f"/api/gates/{venue.gate_in}/pass", json=body)
    assert res.json["granted"] is False and res.json["reason"] == "code_replayed"


# -- personal answers: the speech assistant and a delegate's trips --------------------------
@pytest.fixture
def kiosks(app: Flask, runtime: Runtime) -> tuple[Caller, Caller, int, int]:
    with transaction(runtime.sessions) as db:
        one, two = (make_attendee(db, runtime.pii).id for _ in range(2))
    first = device_caller(app, runtime, "kiosk", "kiosk-1")
    second = device_caller(app, runtime, "kiosk", "kiosk-2")
    return first, second, one, two


def test_trips_on_a_kiosk_need_a_ticket_of_that_kiosk_naming_that_person(
    runtime: Runtime, kiosks: tuple[Caller, Caller, int, int]
) -> None:
    kiosk, other, person, someone_else = kiosks
    url = f"/api/transport/attendees/{person}/trips"
    res = kiosk.get(url)
    assert (res.status_code, res.json["error"]) == (403, "ticket_required")
    res = kiosk.get(url, query_string={"ticket": code_ticket(runtime, other, person)})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")
    res = kiosk.get(url, query_string={"ticket": code_ticket(runtime, kiosk, someone_else)})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_attendee")
    ticket = code_ticket(runtime, kiosk, person)
    res = kiosk.get(url, query_string={"ticket": ticket})
    assert res.status_code == 200 and res.json["trips"] == []
    # Nothing is granted: the same ticket shows the journey again within its life.
    again = kiosk.client.get(url, headers={**kiosk.headers, "X-Identification-Ticket": ticket})
    assert again.status_code == 200


def test_personal_speech_answers_need_a_ticket_of_the_asking_kiosk(
    runtime: Runtime, kiosks: tuple[Caller, Caller, int, int]
) -> None:
    kiosk, other, person, _ = kiosks
    res = kiosk.post(f"/api/speech/query?language=en&attendee_id={person}", data=b"RIFF")
    assert res.status_code == 400  # a bare attendee id is not accepted at all
    ticket = code_ticket(runtime, other, person, "assistant")
    res = kiosk.post("/api/speech/query", query_string={"ticket": ticket}, data=b"RIFF")
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")
    res = kiosk.post("/api/speech/query", query_string={"ticket": "forged" * 5}, data=b"RIFF")
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")
    own = code_ticket(runtime, kiosk, person, "assistant")
    res = kiosk.post("/api/speech/query", query_string={"ticket": own}, data=b"RIFF")
    assert res.json.get("error", "") not in ("ticket_other_device", "ticket_invalid")


def test_personal_typed_and_tapped_answers_need_a_ticket_of_the_asking_kiosk(
    runtime: Runtime, kiosks: tuple[Caller, Caller, int, int]
) -> None:
    kiosk, other, person, _ = kiosks
    asked = {"text": "where is my hotel", "language": "en"}
    res = kiosk.post("/api/speech/ask", json=asked | {"attendee_id": person})
    assert res.status_code == 400  # a bare attendee id is not accepted at all
    ticket = code_ticket(runtime, other, person, "assistant")
    res = kiosk.post("/api/speech/ask", json=asked | {"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")
    res = kiosk.post("/api/speech/ask", json={"intent": "my_hotel", "ticket": "forged" * 5})
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")
    # Control: the kiosk's own ticket gets past the trust checks to a personal answer.
    own = code_ticket(runtime, kiosk, person, "assistant")
    res = kiosk.post("/api/speech/ask", json={"intent": "my_hotel", "ticket": own})
    assert res.status_code == 200, res.json
    assert res.json["intent"] == "my_hotel" and res.json["answer"]["personal"] is True, res.json


def test_a_ticket_names_only_what_the_code_proved_and_is_for_the_caller_only(
    runtime: Runtime, kiosks: tuple[Caller, Caller, int, int]
) -> None:
    kiosk, _, person, _ = kiosks
    res = kiosk.post(
        "/api/recognition/identify-code",
        json={"code": issue_code(runtime, person, now=utcnow() - timedelta(minutes=5))},
    )
    assert res.status_code == 200 and res.json["ticket"] is None
    assert res.json["reason"] == "code_expired"
    res = kiosk.post("/api/recognition/identify-code", json={"code": issue_code(runtime, person)})
    assert res.json["attendee"]["name"] == "张*三" and res.json["ticket_seconds"] <= 120
