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
from core.runtime import Runtime
from models import TripPassenger
from tests.browser_support import chromium, live_server
from tests.checkin.camera_video import write_y4m
from tests.transport.helpers import (
    rider_waiting_at_pickup,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_driver_boards_a_rider_by_scanning_their_code(
    app: Flask, runtime: Runtime, tmp_path: Path
) -> None:
    rider_id, trip_id, token = rider_waiting_at_pickup(app, runtime, "周小文")
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
