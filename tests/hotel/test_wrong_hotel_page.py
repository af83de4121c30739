"""A guest of another hotel is told that hotel's name at the lobby kiosk (Chromium), in Chinese
and English, not its internal code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import expect

from checkin.codes import issue_code
from core.accounts import create_device
from core.runtime import Runtime
from models.db import transaction
from tests.browser_support import chromium, live_server
from tests.factories import make_attendee
from tests.hotel.helpers import make_hotel, make_stay
from tests.hotel.test_pages import TONIGHT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_guest_of_another_hotel_is_told_its_name(app: Flask, runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        here = make_hotel(db, "HERE", nights=[TONIGHT])
        there = make_hotel(db, "THERE", nights=[TONIGHT])
        there.name_zh, there.name_en = "福州香格里拉大酒店", "Shangri-La Fuzhou"
        guest = make_attendee(db, runtime.pii, name="王小明").id
        make_stay(db, guest, there, check_in_date=TONIGHT,
                  check_out_date=TONIGHT + timedelta(days=1))  # fmt: skip
        _device, token = create_device(db, "lobby-1", "hotel_desk", "test", hotel_id=here.id)
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{base}/hotel/kiosk#token={token}")
        page.fill("#code", issue_code(runtime, guest))
        page.click("#code-form button[type=submit]")
        expect(page.locator("#status")).to_contain_text("福州香格里拉大酒店", timeout=15000)
        assert "THERE" not in str(page.text_content("#status"))
        page.click("#lang")
        expect(page.locator("#status")).to_contain_text(
            "Your reservation is at another hotel: Shangri-La Fuzhou"
        )
