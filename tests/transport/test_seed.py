"""The demo seed's transport part: legs for ~90%, the fleet, planned trips, deterministic."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Config
from core.runtime import Runtime, build_runtime, create_schema
from models import Flight, Trip, TripPassenger, Vehicle
from models.db import transaction
from seed.transport import FLEET, fleet_of, seed_transport
from tests.transport.helpers import make_hotel, make_passengers, make_stay

DAYS = [date(2026, 12, 7) + timedelta(days=i) for i in range(4)]


def seeded(rt: Runtime) -> tuple[dict[str, int], list[tuple]]:
    with transaction(rt.sessions) as db:
        hotels = [make_hotel(db, f"H{i}", airport=30 + 8 * i, station=15 + 4 * i) for i in range(4)]
        people = make_passengers(db, rt.pii, 60) + make_passengers(db, rt.pii, 30, nationality="US")
        people += make_passengers(db, rt.pii, 4, category="vip")
        for i, p in enumerate(people[:80]):
            make_stay(db, p, hotels[i % 4], DAYS[0], DAYS[3])
        counts = seed_transport(db, random.Random(5), people, DAYS, hotels)
    with rt.sessions() as db:
        trips = db.execute(
            select(Trip.kind, Trip.driver_id, Trip.starts_at, func.count(TripPassenger.id))
            .join(TripPassenger)
            .group_by(Trip.id)
            .order_by(Trip.id)
        ).all()
    return counts, [tuple(t) for t in trips]


def test_a_what_if_fleet_keeps_the_demo_mix() -> None:
    assert fleet_of(None) == list(FLEET) and fleet_of(60) == list(FLEET)
    small, big = fleet_of(30), fleet_of(120)
    assert len(small) == 30 and len(big) == 120
    for fleet in (small, big):
        share = sum(kind == "minibus" for kind, _c, _v in fleet) / len(fleet)
        assert abs(share - 8 / 60) < 0.02
        assert sum(vip for _k, _c, vip in fleet) == round(6 * len(fleet) / 60)


@pytest.mark.slow
def test_seed_plans_every_traveller_and_is_deterministic(runtime: Runtime, tmp_path: Path) -> None:
    counts, trips = seeded(runtime)
    with runtime.sessions() as db:
        legs = db.scalar(select(func.count(Flight.id)))
        riders = db.scalar(select(func.count(TripPassenger.id)))
        assert db.scalar(select(func.count(Vehicle.id)).where(Vehicle.vip_only)) == 6
        places = set(db.scalars(select(Flight.place)))
    assert counts["vehicles"] == 60 and counts["legs"] == legs
    assert 0.8 * 2 * 94 <= legs <= 2 * 94  # about nine in ten travel, both ways
    assert places == {"FOC", "FZS"}
    assert riders + counts["unplanned"] == legs and counts["unplanned"] == 0
    assert counts["pickup_trips"] + counts["departure_trips"] == len(trips)
    other = build_runtime(Config.for_tests(tmp_path / "second"))
    create_schema(other)
    try:
        assert seeded(other) == (counts, trips)
    finally:
        other.close()
