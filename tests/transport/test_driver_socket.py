"""A driver phone over real Socket.IO (python-socketio client against a live server thread):
receives its assignment, acknowledges it, misses updates while offline and gets each of them
exactly once, in order, on reconnect; another driver hears none of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import socketio
from flask import Flask
from sqlalchemy import select

from core import accounts
from core.runtime import Runtime
from models import Driver, Flight, Trip
from models.db import transaction
from tests.browser_support import live_server
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.delays import change_estimate
from transport.service import plan_pickups

NS = "/live"


class Phone:
    """A driver phone: records every `event` envelope it is sent."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.events: list[dict[str, Any]] = []
        self.caught_up = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", self._on_event, namespace=NS)
        self.client.on("caught_up", lambda _d: self.caught_up.set(), namespace=NS)

    def _on_event(self, envelope: dict[str, Any]) -> None:
        self.events.append(envelope)

    def connect(self) -> None:
        self.client.connect(
            self.base,
            namespaces=[NS],
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=10,
        )

    def catch_up(self, after: int) -> dict[str, Any]:
        self.caught_up.clear()
        answer = self.client.call("catch_up", {"after": after}, namespace=NS, timeout=10)
        assert self.caught_up.wait(10)
        return answer

    def wait_for(self, predicate: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, (
                f"timed out; got {[e['event'] for e in self.events]}"
            )
            time.sleep(0.02)


@contextmanager
def phone(base: str, token: str) -> Iterator[Phone]:
    p = Phone(base, token)
    p.connect()
    try:
        yield p
    finally:
        p.client.disconnect()


@pytest.fixture
def setup(runtime: Runtime) -> dict[str, Any]:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        people = make_passengers(db, runtime.pii, 2)
        for p in people:
            make_stay(db, p, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
            make_leg(db, p, SUMMIT)
        driver, idle = make_driver(db), make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        _dev, token = accounts.create_device(db, "phone-1", "driver", "test", driver_id=driver.id)
        _dev2, idle_token = accounts.create_device(
            db, "phone-2", "driver", "test", driver_id=idle.id
        )
        trip = db.scalar(select(Trip).where(Trip.driver_id == driver.id))
        leg = db.scalar(select(Flight.id))
    return {
        "token": token,
        "idle_token": idle_token,
        "trip": trip.id,
        "leg": leg,
        "driver": driver.id,
    }


def delay(runtime: Runtime, leg: int, minutes: int) -> None:
    with transaction(runtime.sessions) as db:
        change_estimate(db, leg, SUMMIT + timedelta(minutes=minutes), "staff:1", now=NOW)


@pytest.mark.slow
def test_driver_phone_receives_acks_misses_and_catches_up_exactly_once(
    app: Flask,
    runtime: Runtime,
    setup: dict[str, Any],
) -> None:
    with live_server(app) as base, phone(base, setup["idle_token"]) as other:
        with phone(base, setup["token"]) as p:
            sync = p.client.call("driver_sync", {}, namespace=NS, timeout=10)
            assert sync["acked_seq"] == 0 and [t["id"] for t in sync["trips"]] == [setup["trip"]]
            p.catch_up(0)
            assert [e["event"] for e in p.events] == ["trip_assigned"]
            first = p.events[-1]
            ack = p.client.call(
                "trip_ack",
                {
                    "seq": first["seq"],
                    "trips": {str(setup["trip"]): first["data"]["trip"]["version"]},
                },
                namespace=NS,
                timeout=10,
            )
            assert ack == {"acked_seq": first["seq"]}
            delay(runtime, setup["leg"], 20)  # live, while connected
            p.wait_for(lambda: len(p.events) == 2)
            seen = p.events[-1]["seq"]
        # offline: two more changes happen
        delay(runtime, setup["leg"], 40)
        delay(runtime, setup["leg"], 60)
        with phone(base, setup["token"]) as again:
            answer = again.catch_up(seen)
            missed = [e["seq"] for e in again.events]
            assert answer["count"] == len(missed) >= 2
            assert missed == sorted(set(missed)) and min(missed) > seen  # in order, once, only new
            versions = [e["data"]["trip"]["version"] for e in again.events]
            assert versions == sorted(versions) and versions[-1] > first["data"]["trip"]["version"]
            again.catch_up(missed[-1])  # asking again from the newest brings nothing
            assert [e["seq"] for e in again.events] == missed
        assert other.events == []  # the other driver heard none of it
    with runtime.sessions() as db:
        assert db.get(Driver, setup["driver"]).acked_seq == first["seq"]
        assert db.get(Trip, setup["trip"]).acked_version == first["data"]["trip"]["version"]


def test_a_bad_ack_gets_an_error_and_a_staff_socket_cannot_ack(
    app: Flask,
    runtime: Runtime,
    setup: dict[str, Any],
) -> None:
    client = app.test_client()
    sio = __import__("web.extensions", fromlist=["socketio"]).socketio
    driver = sio.test_client(
        app, namespace=NS, flask_test_client=client, auth={"token": setup["token"]}
    )
    assert driver.is_connected(NS)
    bad = driver.emit("trip_ack", {"seq": -1}, namespace=NS, callback=True)
    assert bad["error"] == "validation_error"
    with transaction(runtime.sessions) as db:
        accounts.create_user(db, "desk_staff", "correct horse battery", "staff")
    client.post(
        "/api/auth/login", json={"username": "desk_staff", "password": "correct horse battery"}
    )
    staff = sio.test_client(app, namespace=NS, flask_test_client=client)
    answer = staff.emit("trip_ack", {"seq": 5}, namespace=NS, callback=True)
    assert answer["error"] == "forbidden"
    with runtime.sessions() as db:
        assert db.get(Driver, setup["driver"]).acked_seq == 0
