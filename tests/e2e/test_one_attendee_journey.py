"""The end-to-end proof: one attendee through every stage, through the real API and engines.

Registered with consent and a face photo -> flight lands -> trip assigned and pushed to the
driver -> picked up (face confirmed by the driver) -> hotel kiosk check-in by face -> venue
pass by face, then by rotating entrance code -> a spoken question answered with their own
hotel and pickup -> hotel check-out -> departure trip -> departed. The journey then holds every
stage once, in order, and a console connected throughout saw each step.

The summit runs on a simulated clock (core.clock) that this test moves forward, as a
rehearsal does, so that "now" is the right moment for each step.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from core.clock import SimClock, iso, to_utc, use_clock
from core.runtime import Runtime
from models import Driver, Vehicle
from models.db import transaction
from tests.conftest import device_caller, login_as
from tests.factories import make_gate, make_zone
from tests.hotel.helpers import make_hotel, make_stay
from web.extensions import socketio

pytestmark = pytest.mark.slow
STAGES = [
    "registered",
    "arrived",
    "picked_up",
    "hotel_checked_in",
    "venue_checked_in",
    "hotel_checked_out",
    "departed",
]
START = to_utc(datetime(2026, 12, 7, 9, 0))  # 09:00 in Fuzhou on arrival day


@pytest.fixture
def clock() -> Iterator[SimClock]:
    sim = SimClock(START, 1.0)
    use_clock(sim)
    yield sim
    use_clock(None)


def move_to(clock: SimClock, local: datetime) -> None:
    """Advance the simulated clock to a local (Fuzhou) time."""
    clock.advance(to_utc(local) - clock.now())


def photo(faces_dir: Path, name: str) -> bytes:
    return (faces_dir / name).read_bytes()


def upload(faces_dir: Path, name: str) -> tuple[io.BytesIO, str]:
    """A photo as a multipart file for the Flask test client."""
    return io.BytesIO(photo(faces_dir, name)), Path(name).name


def speak(tmp_path: Path, text: str) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    out = tmp_path / (text.replace(" ", "_") + ".wav")
    subprocess.run(
        # espeak-ng's en-us voice at 150 words a minute. At 140 the corpus-LM recogniser mishears
        # "hotel" in the first question after it starts (docs/speech.md, limits).
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out), text],
        check=True,
        timeout=30,
    )
    return out


def stage_events(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["args"][0]["data"]["stage"]
        for m in messages
        if m["name"] == "event" and m["args"][0]["event"] == "journey_stage_recorded"
    ]


def test_one_attendee_travels_the_whole_journey(
    app: Flask, runtime: Runtime, clock: SimClock, faces_dir: Path, tmp_path: Path
) -> None:
    staff = login_as(app, runtime, "admin", "ops")
    console = socketio.test_client(app, namespace="/live", flask_test_client=staff.client)
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, "FZH")
        hotel_id = hotel.id
        vehicle = Vehicle(plate="闽A88888", kind="sedan", capacity=4)
        db.add(vehicle)
        db.flush()
        driver = Driver(
            name="陈建华",
            phone="+8613900000001",
            vehicle_id=vehicle.id,
            shift_start=START - timedelta(hours=3),
            shift_end=START + timedelta(days=4),
        )
        db.add(driver)
        hall = make_zone(db)
        gate_in, gate_out = make_gate(db, hall, "A1"), make_gate(db, hall, "A9", direction="out")
        db.flush()
        driver_id, gate_in_id, gate_out_id = driver.id, gate_in.id, gate_out.id
    airport = device_caller(app, runtime, "airport_desk", "foc-desk")
    # A staff-watched lobby desk (liveness off) so that a still photo may identify the guest.
    desk = device_caller(app, runtime, "hotel_desk", "fzh-lobby", hotel_id=hotel_id, liveness=False)
    # A staff-watched kiosk bound to entrance A1 (a still photo may pass there) and exit A9's gate.
    kiosk = device_caller(app, runtime, "kiosk", "hall-kiosk", gate_id=gate_in_id, liveness=False)
    exit_gate = device_caller(app, runtime, "gate", "exit-A9", gate_id=gate_out_id)
    phone_of_driver = device_caller(app, runtime, "driver", "driver-phone", driver_id=driver_id)
    token = phone_of_driver.headers["Authorization"].removeprefix("Bearer ")
    driver_live = socketio.test_client(app, namespace="/live", auth={"token": token})

    # 1. Registration with consent and a face photo.
    res = staff.post(
        "/api/attendees",
        json={
            "name": "Barack Obama",
            "category": "delegate",
            "id_type": "passport",
            "id_number": "P1234567",
            "nationality": "US",
            "language": "en",
            "phone": "+12025550100",
            "consent_face": True,
        },
    )
    assert res.status_code == 201, res.json
    me = res.json["id"]
    res = staff.post(
        f"/api/attendees/{me}/faces",
        data={"image": upload(faces_dir, "enroll/obama/obama.jpg")},
        content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.json
    with transaction(runtime.sessions) as db:
        make_stay(
            db, me, db.get(type(hotel), hotel_id)
        )  # the organisers' room booking (12-07 .. 12-10)

    # 2. Flights, and the pickup plan pushes a trip to the driver's phone.
    arrival = staff.post(
        "/api/flights",
        json={
            "attendee_id": me,
            "kind": "arrival",
            "number": "MF8101",
            "place": "FOC",
            "terminal": "T1",
            "scheduled_at": "2026-12-07T12:00:00+08:00",
        },
    ).json
    staff.post(
        "/api/flights",
        json={
            "attendee_id": me,
            "kind": "departure",
            "number": "MF8102",
            "place": "FOC",
            "terminal": "T1",
            "scheduled_at": "2026-12-09T19:00:00+08:00",
        },
    )
    assert staff.post("/api/transport/plan", json={"kind": "pickup"}).status_code == 200
    pushed = [m["args"][0] for m in driver_live.get_received("/live") if m["name"] == "event"]
    assert any(e["event"].startswith("trip") for e in pushed), pushed
    trips = phone_of_driver.get("/api/driver/trips").json["trips"]
    assert len(trips) == 1 and trips[0]["passengers"][0]["attendee_id"] == me
    trip = trips[0]

    # 3. The flight lands; the driver confirms the passenger by face and drives to the hotel.
    move_to(clock, datetime(2026, 12, 7, 12, 5))
    assert airport.post(f"/api/flights/{arrival['id']}/landed", json={}).status_code == 200
    move_to(clock, datetime(2026, 12, 7, 12, 30))
    for action in ("accept", "arrive"):
        assert phone_of_driver.post(f"/api/driver/trips/{trip['id']}/{action}").status_code == 200
    face = base64.b64encode(photo(faces_dir, "enroll/obama/obama2.jpg")).decode()
    res = phone_of_driver.post(
        f"/api/driver/trips/{trip['id']}/board",
        json={"attendee_id": me, "method": "face", "photo": face},
    )
    assert res.status_code == 200, res.json
    for action in ("depart", "drop_off"):
        assert phone_of_driver.post(f"/api/driver/trips/{trip['id']}/{action}").status_code == 200

    # 4. Hotel lobby kiosk: recognised by face, room and key.
    move_to(clock, datetime(2026, 12, 7, 15, 0))
    found = desk.post(
        "/api/hotel/kiosk/identify",
        data={"image": upload(faces_dir, "probe/obama1.jpg")},
        content_type="multipart/form-data",
    )
    assert found.status_code == 200 and found.json["action"] == "check_in", found.json
    res = desk.post("/api/hotel/kiosk/check-in", json={"ticket": found.json["ticket"]})
    assert res.status_code == 200, res.json

    # 5. Venue: in by face at the kiosk gate, out, and in again by the rotating entrance code.
    move_to(clock, datetime(2026, 12, 8, 8, 30))
    shot = base64.b64encode(photo(faces_dir, "probe/obama3.jpg")).decode()
    res = kiosk.post(
        f"/api/gates/{gate_in_id}/pass",
        json={"method": "face", "image": shot, "nonce": "e2e-face-1"},
    )
    assert res.json.get("granted") is True, res.json
    link = staff.post(f"/api/attendees/{me}/portal-link").json
    phone = app.test_client()
    assert phone.post("/api/public/phone/login", json={"code": link["code"]}).status_code == 200
    code = phone.get("/api/public/phone/status").json["code"]
    res = exit_gate.post(
        f"/api/gates/{gate_out_id}/pass",
        json={"method": "code", "code": code, "nonce": "e2e-exit-1"},
    )
    assert res.json.get("granted") is True, res.json
    move_to(clock, datetime(2026, 12, 8, 10, 0))
    code = phone.get("/api/public/phone/status").json["code"]
    res = kiosk.post(
        f"/api/gates/{gate_in_id}/pass",
        json={"method": "code", "code": code, "nonce": "e2e-code-1"},
    )
    assert res.json.get("granted") is True, res.json

    # 6. A spoken question answered with their own hotel, after showing the entrance code.
    code = phone.get("/api/public/phone/status").json["code"]
    found = kiosk.post("/api/recognition/identify-code", json={"code": code})
    assert found.status_code == 200 and found.json["ticket"], found.json
    with speak(tmp_path, "where is my hotel").open("rb") as fh:
        res = kiosk.post(
            f"/api/speech/query?language=en&ticket={found.json['ticket']}",
            data={"audio": (fh, "q.wav")},
            content_type="multipart/form-data",
        )
    assert res.status_code == 200, res.json
    if not res.json["answered"]:  # the kiosk asks "Did you mean…?": the delegate taps it
        offered = [c["intent"] for c in res.json["candidates"]]
        assert "my_hotel" in offered, res.json
        res = kiosk.post(
            "/api/speech/ask",
            json={"intent": "my_hotel", "language": "en", "ticket": found.json["ticket"]},
        )
        assert res.status_code == 200, res.json
    assert res.json["intent"] == "my_hotel", res.json
    assert (
        "FZH Hotel" in res.json["answer"]["text"]
        if isinstance(res.json["answer"], dict)
        else "FZH Hotel" in res.json["answer"]
    )

    # 7. Departure: planned, hotel check-out, and the ride to the airport.
    assert staff.post("/api/transport/plan", json={"kind": "departure"}).status_code == 200
    trips = [
        t
        for t in phone_of_driver.get("/api/driver/trips").json["trips"]
        if t["kind"] == "departure"
    ]
    assert len(trips) == 1
    dep = trips[0]
    pickup = datetime.fromisoformat(dep["pickup_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    move_to(clock, pickup.replace(tzinfo=None) - timedelta(minutes=30))
    found = desk.post(
        "/api/hotel/kiosk/identify",
        data={"image": upload(faces_dir, "probe/obama1.jpg")},
        content_type="multipart/form-data",
    )
    assert found.json["action"] == "check_out", found.json
    assert (
        desk.post("/api/hotel/kiosk/check-out", json={"ticket": found.json["ticket"]}).status_code
        == 200
    )
    for action in ("accept", "arrive"):
        assert phone_of_driver.post(f"/api/driver/trips/{dep['id']}/{action}").status_code == 200
    code = phone.get("/api/public/phone/status").json["code"]
    res = phone_of_driver.post(
        f"/api/driver/trips/{dep['id']}/board",
        json={"attendee_id": me, "method": "code", "code": code},
    )
    assert res.status_code == 200, res.json
    for action in ("depart", "drop_off"):
        assert phone_of_driver.post(f"/api/driver/trips/{dep['id']}/{action}").status_code == 200

    # The timeline holds every stage once, in order; the console saw each one.
    journey = staff.get(f"/api/attendees/{me}").json["journey"]
    assert [s["stage"] for s in journey] == STAGES
    times = [s["at"] for s in journey]
    assert times == sorted(times)
    assert stage_events(console.get_received("/live")) == STAGES
    assert iso(clock.now())
