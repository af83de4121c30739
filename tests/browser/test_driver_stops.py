"""The driver page lists a shared trip's hotels in visiting order, in Chinese and English."""

from __future__ import annotations

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
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from tests.transport.test_sharing import CROWNE, POSITIONS, VISTA
from transport.service import plan_pickups

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_driver_sees_a_shared_trips_stops_in_order(app: Flask, runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        vista, crowne = make_hotel(db, "WV", airport=48), make_hotel(db, "CP", airport=50)
        for hotel, key in ((vista, VISTA), (crowne, CROWNE)):
            hotel.latitude, hotel.longitude = POSITIONS[key]
        people = make_passengers(db, runtime.pii, 2)
        for person, hotel in zip(people, (crowne, vista), strict=True):  # booked farthest first
            make_stay(db, person, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
            make_leg(db, person, SUMMIT)
        driver = make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        trip_id = db.scalars(select(Trip.id)).one()
        _device, token = accounts.create_device(
            db, "phone-1", "driver", "test", driver_id=driver.id
        )
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/driver#token={token}")
        stops = page.locator(f"#trip-{trip_id} .stops li")
        expect(stops).to_have_text(["酒店WV", "酒店CP"], timeout=15000)  # nearest first
        expect(page.locator(f"#trip-{trip_id} .route")).to_contain_text("停靠顺序")
        page.click("#lang")
        expect(stops).to_have_text(["Hotel WV", "Hotel CP"])
        expect(page.locator(f"#trip-{trip_id} .route")).to_contain_text("Stops in order")
