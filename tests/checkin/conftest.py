"""Fixtures for venue check-in: a small venue (zones, gates, people) and gate devices."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from core.clock import utcnow
from core.config import Config
from core.runtime import Runtime
from models.db import transaction
from models.venue import ZoneRule
from tests.conftest import Caller, device_caller, reset_postgres
from tests.factories import make_attendee, make_gate, make_zone


@dataclass
class Venue:
    hall: int
    vip: int
    gate_in: int
    gate_in2: int
    gate_out: int
    vip_in: int
    delegate: int
    vip_guest: int
    visitor: int


def new_nonce() -> str:
    return uuid.uuid4().hex


def build_venue(rt: Runtime) -> Venue:
    """Main hall (all but visitors, any time), VIP lounge (VIPs during a window around now)."""
    with transaction(rt.sessions) as db:
        hall = make_zone(db)
        vip = make_zone(db, "vip_lounge", "vip", name_zh="贵宾室", name_en="VIP lounge")
        now = utcnow()
        db.add(
            ZoneRule(
                zone_id=vip.id,
                categories="vip",
                starts_at=now - timedelta(hours=2),
                ends_at=now + timedelta(hours=2),
            )
        )
        db.add(
            ZoneRule(
                zone_id=vip.id,
                categories="speaker",
                starts_at=now + timedelta(hours=3),
                ends_at=now + timedelta(hours=5),
            )
        )
        g1, g2 = make_gate(db, hall, "A1"), make_gate(db, hall, "A2")
        out = make_gate(db, hall, "A9", direction="out")
        vin = make_gate(db, vip, "V1")
        people = [
            make_attendee(db, rt.pii, name=n, category=c)
            for n, c in (("张小三", "delegate"), ("Barack Obama", "vip"), ("李四", "visitor"))
        ]
        return Venue(hall.id, vip.id, g1.id, g2.id, out.id, vin.id, *(p.id for p in people))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Tests here enrol faces inside transactions: the gallery syncs on events, not on a timer."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        reset_postgres(url)
    return Config.for_tests(tmp_path / "instance", url).with_changes(
        extra={"FACE_SYNC_INTERVAL": "3600"}
    )


CHECKIN_PG_DB = "summit_checkin_test"


@pytest.fixture
def pg_runtime(tmp_path: Path) -> Iterator[Runtime]:
    """PostgreSQL in a database of its own, so other suites resetting `test` cannot interfere."""
    from sqlalchemy import create_engine, text

    from core.runtime import build_runtime
    from models import Base
    from tests.conftest import PG_URL, postgres_available

    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}; start it to run this test")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": CHECKIN_PG_DB}
        )
        if not exists:
            conn.execute(text(f"CREATE DATABASE {CHECKIN_PG_DB}"))
    admin.dispose()
    url = PG_URL.rsplit("/", 1)[0] + "/" + CHECKIN_PG_DB
    reset_postgres(url)
    rt = build_runtime(Config.for_tests(tmp_path / "pg-instance", url))
    Base.metadata.create_all(rt.engine)
    yield rt
    rt.close()


@pytest.fixture
def venue(runtime: Runtime) -> Venue:
    return build_venue(runtime)


@pytest.fixture
def gate_device(app: Flask, runtime: Runtime, venue: Venue) -> Caller:
    """The device of hall gate A1 (liveness required, as for every gate)."""
    return device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)


@pytest.fixture
def kiosk_device(app: Flask, runtime: Runtime, venue: Venue) -> Caller:
    """A staff-watched kiosk at hall gate A1: its liveness check is off, still photos pass."""
    return device_caller(app, runtime, "kiosk", "kiosk-hall", gate_id=venue.gate_in, liveness=False)


@pytest.fixture
def live_kiosk(app: Flask, runtime: Runtime, venue: Venue) -> Caller:
    """A kiosk at hall gate A1 as kiosks come by default: it checks liveness."""
    return device_caller(app, runtime, "kiosk", "kiosk-live", gate_id=venue.gate_in)
