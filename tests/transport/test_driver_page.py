"""The driver phone page in Debian's Chromium: a new assignment appears without a reload, the
driver accepts it, and the phone's acknowledgement reaches the server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from core import accounts
from core.runtime import Runtime
from models import Trip
from models.db import transaction
from tests.browser_support import chromium, live_server
from tests.transport.helpers import NOW, SUMMIT, make_driver, make_leg, make_passengers
from transport.service import plan_pickups

pytestmark = pytest.mark.browser


def wait_until(predicate, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_new_assignment_appears_on_the_phone_without_a_reload(
    app: Flask, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as db:
        (first,) = make_passengers(db, runtime.pii, 1, name="王小明")
        make_leg(db, first, SUMMIT)
        driver = make_driver(db, capacity=4)
        plan_pickups(db, now=NOW)
        _device, token = accounts.create_device(
            db, "phone-1", "driver", "test", driver_id=driver.id
        )
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/driver#token={token}")
        page.wait_for_selector(".link.on")
        assert page.locator("ol#trips > li").count() == 1
        assert "王*明" in page.text_content("ol#trips")
        assert token not in page.url  # the token left the address bar
        page.evaluate("window.sameDocument = true")
        with transaction(runtime.sessions) as db:
            (second,) = make_passengers(db, runtime.pii, 1, name="李四", category="vip")
            make_leg(db, second, SUMMIT + timedelta(hours=4), number="CA1801")
            plan_pickups(db, now=NOW)
            new_trip = db.scalar(select(Trip).order_by(Trip.id.desc()).limit(1))
        card = page.wait_for_selector(f"#trip-{new_trip.id}", timeout=10_000)
        assert page.evaluate("window.sameDocument") is True  # no reload happened
        assert "李*" in card.text_content() and "CA1801" in card.text_content()
        wait_until(lambda: _acked(runtime, new_trip.id))
        page.click(f"#trip-{new_trip.id} button.next")
        expect(page.locator(f"#trip-{new_trip.id} .state")).to_have_text("已接受")
        page.click("#lang")
        assert page.text_content(f"#trip-{new_trip.id} .state") == "accepted"
    with runtime.sessions() as db:
        assert db.get(Trip, new_trip.id).state == "accepted"


def _acked(runtime: Runtime, trip_id: int) -> bool:
    with runtime.sessions() as db:
        trip = db.get(Trip, trip_id)
        return trip.acked_version == trip.version


def test_the_page_asks_for_a_token_and_refuses_a_bad_one(app: Flask) -> None:
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/driver")
        page.wait_for_selector("#login:not([hidden])")
        page.fill("#login input[name=token]", "1.wrong")
        page.click("#login button")
        page.wait_for_selector("#status.err")
        assert page.locator("ol#trips > li").count() == 0
