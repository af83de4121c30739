"""The driver page boards a rider by scanning their entrance QR code with the phone camera
(Chromium's fake camera plays a clip of the code, made at test time)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.codes import issue_code
from checkin.portal import qr_data_url
from core import accounts
from core.runtime import Runtime
from models import Trip, TripPassenger
from models.db import transaction
from tests.browser_support import chromium, live_server
from tests.checkin.camera_video import write_y4m
from tests.transport.helpers import NOW, SUMMIT, make_driver, make_leg, make_passengers
from transport.service import plan_pickups

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_driver_boards_a_rider_by_scanning_their_code(
    app: Flask, runtime: Runtime, tmp_path: Path
) -> None:
    with transaction(runtime.sessions) as db:
        (rider,) = make_passengers(db, runtime.pii, 1, name="周小文")
        make_leg(db, rider, SUMMIT)
        driver = make_driver(db, capacity=4)
        rider_id = rider.id
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        trip_id = db.scalar(select(Trip.id))
        _device, token = accounts.create_device(
            db, "phone-1", "driver", "test", driver_id=driver.id
        )
    phone = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for action in ("accept", "arrive"):
        assert phone.post(f"/api/driver/trips/{trip_id}/{action}", headers=auth).status_code == 200
    png = tmp_path / "code.png"
    png.write_bytes(base64.b64decode(qr_data_url(issue_code(runtime, rider_id)).split(",")[1]))
    video = write_y4m(tmp_path / "code.y4m", png, frames=10)
    args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with live_server(app) as base, chromium(args) as browser:
        page = browser.new_page()
        page.goto(f"{base}/driver#token={token}")
        row = f"#trip-{trip_id} li[data-attendee='{rider_id}']"
        page.click(f"{row} button.scan")
        expect(page.locator(row)).to_contain_text("已上车", timeout=20000)
        assert page.is_hidden("#scanner")
    with runtime.sessions() as db:
        seat = db.scalar(select(TripPassenger).where(TripPassenger.attendee_id == rider_id))
        assert seat is not None and seat.state == "on_board"
