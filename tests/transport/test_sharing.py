"""Trips serving several hotels (transport.sharing): fair routes, fewer vehicle minutes, VIPs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from models import Trip
from models.db import transaction
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.kerb import ServiceLevel
from transport.planner import PlannedTrip, Request, Resource, plan
from transport.service import plan_pickups
from transport.sharing import Sharing, km_between
from transport.snapshot import trip_snapshot

T0 = datetime(2026, 12, 7, 6, 0)
# Places in Fuzhou (approximate): two riverside hotels 1.5 km apart, one near the airport.
CROWNE, VISTA, CHANGLE = 1, 2, 3
POSITIONS = {
    CROWNE: (26.0440, 119.2790),
    VISTA: (26.0400, 119.2650),
    CHANGLE: (25.9600, 119.5500),
}
DIRECT = {CROWNE: 50, VISTA: 48, CHANGLE: 15}


def request(key: int, hotel: int, minute: int, vip: bool = False) -> Request:
    ready = T0 + timedelta(minutes=minute)
    latest = ready + timedelta(minutes=50)
    return Request(key, key, "pickup", "FOC", "FOC", hotel, DIRECT[hotel], ready, latest, vip=vip)


def fleet(n: int = 20) -> list[Resource]:
    return [Resource(i, i, 7, False, T0, T0 + timedelta(hours=16)) for i in range(n)]


def hours(trips: list[PlannedTrip], sharing: Sharing, by_key: dict[int, Request]) -> int:
    total = 0
    for t in trips:
        direct = {by_key[k].hotel_id: by_key[k].travel for k in t.keys}
        stops = sharing.order(direct, list(direct))  # type: ignore[arg-type]
        total += sharing.route(direct, stops)  # type: ignore[arg-type]
    return total


def test_the_travel_model_is_the_documented_one() -> None:
    sharing = Sharing(POSITIONS)
    km = km_between(POSITIONS[CROWNE], POSITIONS[VISTA])
    assert 1.3 < km < 1.6
    assert sharing.between(CROWNE, VISTA) == 4 + -(-km * 1.3 // 0.5)  # stop + road at 30 km/h
    assert sharing.route(DIRECT, [VISTA, CROWNE]) == 48 + sharing.between(VISTA, CROWNE) + 50
    assert sharing.zones(DIRECT) == [[VISTA, CROWNE], [CHANGLE]]  # Changle: detour too long
    assert not sharing.fair(DIRECT, [CHANGLE, VISTA])


def test_nearby_hotels_share_a_car_and_save_vehicle_time() -> None:
    requests = [request(k, CROWNE if k % 2 else VISTA, 30 * k) for k in range(12)]
    by_key = {r.key: r for r in requests}
    sharing = Sharing(POSITIONS)
    alone = plan(requests, fleet(), 2.0, ServiceLevel())
    shared = plan(requests, fleet(), 2.0, ServiceLevel(), sharing)
    assert len(shared.trips) < len(alone.trips) and not shared.unplanned
    assert hours(shared.trips, sharing, by_key) < hours(alone.trips, sharing, by_key)
    assert any(t.stops == (VISTA, CROWNE) for t in shared.trips)  # nearest first
    for t in shared.trips:
        direct = {by_key[k].hotel_id: by_key[k].travel for k in t.keys}
        rides = sharing.rides(direct, list(t.stops) or list(direct))  # type: ignore[arg-type]
        assert all(rides[h] <= 1.5 * direct[h] for h in rides)  # type: ignore[index]


def test_vips_ride_direct_and_far_hotels_never_share() -> None:
    requests = [request(0, CROWNE, 0, vip=True), request(1, VISTA, 0), request(2, CHANGLE, 0)]
    result = plan(requests, fleet(), 2.0, ServiceLevel(), Sharing(POSITIONS))
    assert sorted(t.keys for t in result.trips) == [(0,), (1,), (2,)]
    assert all(t.stops == () for t in result.trips)


@pytest.mark.parametrize("seed", range(8))
def test_every_shared_ride_keeps_the_bound_and_everyone_is_carried(seed: int) -> None:
    rng = random.Random(seed)
    positions = {h: (26.0 + rng.uniform(0, 0.1), 119.2 + rng.uniform(0, 0.1)) for h in range(6)}
    direct = {h: rng.randint(20, 60) for h in range(6)}
    requests = []
    for key in range(rng.randint(10, 80)):
        h = rng.randrange(6)
        ready = T0 + timedelta(minutes=rng.randrange(0, 600, 5))
        requests.append(
            Request(key, key, "pickup", "FOC", "FOC", h, direct[h], ready,
                    ready + timedelta(minutes=50), vip=rng.random() < 0.05)
        )  # fmt: skip
    factor = rng.choice([1.2, 1.5])
    sharing = Sharing(positions, ride_factor=factor)
    result = plan(requests, fleet(60), 2.0, ServiceLevel(), sharing)
    by_key = {r.key: r for r in requests}
    assert sorted(k for t in result.trips for k in t.keys) == sorted(by_key)
    for t in result.trips:
        if len(t.stops) > 1:
            assert not any(by_key[k].vip for k in t.keys)
            rides = sharing.rides(direct, list(t.stops))
            assert all(rides[h] <= factor * direct[h] for h in t.stops)
            assert {by_key[k].hotel_id for k in t.keys} == set(t.stops)
            assert t.ends_at - t.at == timedelta(minutes=sharing.route(direct, list(t.stops)))


def test_a_shared_trip_is_stored_with_its_stop_order_for_the_driver(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        vista, crowne = make_hotel(db, "WV", airport=48), make_hotel(db, "CP", airport=50)
        for hotel, key in ((vista, VISTA), (crowne, CROWNE)):
            hotel.latitude, hotel.longitude = POSITIONS[key]
        people = make_passengers(db, runtime.pii, 2)
        for person, hotel in zip(people, (crowne, vista), strict=True):
            make_stay(db, person, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=2))
            make_leg(db, person, SUMMIT)
        make_driver(db, capacity=7, kind="van")
    with transaction(runtime.sessions) as db:
        report = plan_pickups(db, now=NOW)
    assert report.trips_created == 1 and report.unplanned == []
    with runtime.sessions() as db:
        trip = db.scalars(select(Trip)).one()
        assert trip.stops == f"{vista.id},{crowne.id}" and trip.hotel_id == vista.id
        snap = trip_snapshot(db, trip)
    assert [s["name_en"] for s in snap["stops"]] == ["Hotel WV", "Hotel CP"]  # nearest first
    assert len(snap["passengers"]) == 2
