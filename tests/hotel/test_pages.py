"""Hotel pages in Debian's Chromium: the lobby kiosk by entrance code and by camera face, the desk.

The face test feeds Chromium's fake camera an MJPEG stream made from a shared photo (written
to the test's temporary folder), so the page's real getUserMedia capture goes through the
real face service.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from checkin.codes import issue_code
from core.accounts import create_device, create_user
from core.clock import utcnow
from core.masking import mask_name
from core.runtime import Runtime
from hotel.clock import hotel_night
from models import Stay
from models.db import transaction
from recognition.face.api import face_service
from tests.browser_support import chromium, live_server
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay

TONIGHT = hotel_night(utcnow())


def lobby(rt: Runtime, name: str = "张小三", liveness: bool | None = None) -> tuple[int, str]:
    """A hotel with one guest arriving tonight; returns (attendee id, desk token)."""
    with transaction(rt.sessions) as db:
        hotel = make_hotel(db, "HERE", nights=[TONIGHT])
        guest = make_attendee(db, rt.pii, name=name).id
        make_stay(
            db, guest, hotel, check_in_date=TONIGHT, check_out_date=TONIGHT + timedelta(days=1)
        )
        _device, token = create_device(
            db, "lobby-1", "hotel_desk", "test", hotel_id=hotel.id, liveness=liveness
        )
    return guest, token


@pytest.mark.browser
@pytest.mark.slow
def test_guest_checks_in_and_out_at_the_kiosk_page_with_an_entrance_code(
    app: Flask, runtime: Runtime, tmp_path: Path
) -> None:
    guest, token = lobby(runtime)
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/hotel/kiosk#token={token}")
        assert "#token" not in page.url  # the token leaves the address bar at once
        page.fill("#code", issue_code(runtime, guest))
        page.click("#code-form button[type=submit]")
        page.wait_for_selector("#reservation:not([hidden])")
        assert page.text_content("#r-name") == "张*三"
        page.click("#confirm")
        page.wait_for_selector("#welcome:not([hidden])")
        pin = page.text_content("#w-pin") or ""
        assert len(pin) == 6 and pin.isdigit()
        assert page.eval_on_selector("#w-key-qr", "img => img.naturalWidth") > 50
        page.click("#lang")
        assert page.text_content("#wel-h") == "You are checked in"
        page.screenshot(path=str(tmp_path / "hotel-kiosk-welcome.png"))
        page.click("#welcome button.done")
        assert page.text_content("#w-pin") == ""  # the PIN does not stay on screen
        page.fill("#code", issue_code(runtime, guest))
        page.click("#code-form button[type=submit]")
        page.wait_for_selector("#reservation:not([hidden])")
        assert page.text_content("#confirm") == "Check out"
        page.click("#confirm")
        page.wait_for_selector("#goodbye:not([hidden])")
        assert "transport desk" in (page.text_content("#b-departure") or "")
    with transaction(runtime.sessions) as db:
        stay = db.scalar(select(Stay).where(Stay.attendee_id == guest))
        assert stay is not None and stay.state == "checked_out"


def fake_camera(photo: Path, out: Path, frames: int = 30) -> Path:
    """An MJPEG file (JPEG frames back to back) of a photo letter-boxed into 640x480."""
    img = Image.open(photo).convert("RGB")
    img.thumbnail((640, 480))
    frame = Image.new("RGB", (640, 480), (90, 90, 90))
    frame.paste(img, ((640 - img.width) // 2, (480 - img.height) // 2))
    buf = io.BytesIO()
    frame.save(buf, format="JPEG", quality=92)
    out.write_bytes(buf.getvalue() * frames)
    assert np.asarray(frame).shape == (480, 640, 3)
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_kiosk_camera_recognises_the_guest_through_the_real_face_service(
    app: Flask, runtime: Runtime, tmp_path: Path, faces_dir: Path
) -> None:
    # A still image from a fake camera cannot pass a liveness check: a staff-watched desk.
    guest, token = lobby(runtime, name="Barack Test", liveness=False)
    faces = face_service(runtime)
    with transaction(runtime.sessions) as db:
        faces.enrol(db, guest, (faces_dir / "enroll/obama/obama.jpg").read_bytes(), "test")
    camera = fake_camera(faces_dir / "probe/obama1.jpg", tmp_path / "camera.mjpeg")
    args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    with live_server(app) as base, chromium(args) as browser:
        page = browser.new_page()
        page.goto(f"{base}/hotel/kiosk#token={token}")
        page.wait_for_function("() => document.getElementById('video').videoWidth > 0")
        page.click("#face")
        page.wait_for_selector("#reservation:not([hidden])", timeout=20000)
        assert page.text_content("#r-name") == mask_name("Barack Test")


def test_desk_page_needs_a_staff_login_and_shows_for_staff(app: Flask, runtime: Runtime) -> None:
    client = app.test_client()
    res = client.get("/console/hotels")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
    with transaction(runtime.sessions) as db:
        create_user(db, "desk_staff", "desk password 1", "staff")
    client.post("/api/auth/login", json={"username": "desk_staff", "password": "desk password 1"})
    res = client.get("/console/hotels")
    assert res.status_code == 200 and 'id="occupancy"' in res.get_data(as_text=True)


def test_staff_ask_occupancy_over_socketio_and_devices_are_refused(
    app: Flask, runtime: Runtime
) -> None:
    from web.extensions import socketio

    _guest, token = lobby(runtime)
    with transaction(runtime.sessions) as db:
        create_user(db, "desk_staff", "desk password 1", "staff")
    client = app.test_client()
    client.post("/api/auth/login", json={"username": "desk_staff", "password": "desk password 1"})
    staff = socketio.test_client(app, namespace="/live", flask_test_client=client)
    answer = staff.emit("hotel_occupancy", {}, namespace="/live", callback=True)
    assert [h["hotel"]["code"] for h in answer["hotels"]] == ["HERE"]
    bad = staff.emit("hotel_occupancy", {"night": "soon"}, namespace="/live", callback=True)
    assert bad["error"] == "validation_error"
    device = socketio.test_client(app, namespace="/live", auth={"token": token})
    refused = device.emit("hotel_occupancy", {}, namespace="/live", callback=True)
    assert refused["error"] == "forbidden"
    staff.disconnect(namespace="/live")
    device.disconnect(namespace="/live")
