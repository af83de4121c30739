"""In Chromium: a trip its driver closed shows a reassign button in the console's feed; a click
plans the no-show riders again and the line says how many got a car."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from core.accounts import create_user
from core.clock import SimClock, use_clock
from core.runtime import Runtime
from models import TripPassenger
from models.db import transaction
from tests.browser_support import chromium, live_server
from tests.console.no_shows import closed_trip
from tests.transport.helpers import SUMMIT

pytestmark = pytest.mark.browser
PASSWORD = "console password 1"


@pytest.fixture
def late_clock() -> Iterator[None]:
    use_clock(SimClock(SUMMIT + timedelta(hours=3), 1))
    yield
    use_clock(None)


def test_staff_reassign_no_show_riders_from_the_feed(
    app: Flask, runtime: Runtime, late_clock: None
) -> None:
    closed = closed_trip(runtime)
    with transaction(runtime.sessions) as db:
        create_user(db, "desk", PASSWORD, "staff")
    with chromium() as browser, live_server(app) as base:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        res = page.request.post(
            f"{base}/api/auth/login", data={"username": "desk", "password": PASSWORD}
        )
        assert res.ok, res.text()
        page.goto(base + "/console")
        page.wait_for_selector("body[data-ready='1']")
        line = page.locator(f"#feed li.trip_closed_no_show[data-trip='{closed.trip_id}']")
        assert "行程因无人到达而关闭" in line.inner_text()
        line.get_by_role("button", name="为未到乘客重新派车").click()
        page.wait_for_selector("#feed li.trip_closed_no_show .done")
        assert "已派车 2 人，仍无车 0 人" in line.inner_text()
        assert line.get_by_role("button").count() == 0
        # The live event of the reassignment reaches the feed too, in both languages.
        page.wait_for_selector("#feed li.trip_no_shows_reassigned")
        page.click("#lang")
        assert "2 got a car, 0 still without one" in line.inner_text()
        assert "No-show riders reassigned" in page.locator("#feed").inner_text()
    with runtime.sessions() as db:
        seats = db.scalars(select(TripPassenger).where(TripPassenger.trip_id == closed.trip_id))
        assert list(seats) == []
