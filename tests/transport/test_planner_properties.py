"""Planner properties on random summits (hypothesis): every rule holds for every plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from transport.fcfs import plan_fcfs
from transport.planner import Plan, Request, Resource, minutes, plan

T0 = datetime(2026, 12, 7, 0, 0)
MAX_WAIT = 75


@st.composite
def summits(draw: st.DrawFn) -> tuple[list[Request], list[Resource]]:
    """Random pickups and departures to a few hotels and a random, sometimes short, fleet."""
    n = draw(st.integers(1, 60))
    requests = []
    for key in range(n):
        kind = draw(st.sampled_from(["pickup", "departure"]))
        place = draw(st.sampled_from(["FOC", "FZS"]))
        hotel = draw(st.sampled_from([1, 2, 3, None]))
        start = T0 + timedelta(minutes=draw(st.integers(0, 12 * 60)))
        width = draw(st.integers(0, 60))
        requests.append(
            Request(
                key=key,
                attendee_id=1000 + key,
                kind=kind,
                place=place,
                meeting_point=place,
                hotel_id=hotel,
                travel=draw(st.integers(10, 70)),
                lo=start,
                hi=start + timedelta(minutes=width),
                vip=draw(st.booleans()) and key % 5 == 0,
            )
        )
    fleet = []
    for i in range(draw(st.integers(1, 12))):
        begin = T0 + timedelta(hours=draw(st.integers(-3, 6)))
        fleet.append(
            Resource(
                driver_id=i,
                vehicle_id=i,
                capacity=draw(st.sampled_from([1, 4, 7, 15])),
                vip_only=draw(st.booleans()) and i % 4 == 0,
                shift_start=begin,
                shift_end=begin + timedelta(hours=draw(st.integers(4, 16))),
            )
        )
    return requests, fleet


def check_rules(result: Plan, requests: list[Request], fleet: list[Resource]) -> None:
    by_key = {r.key: r for r in requests}
    by_driver = {r.driver_id: r for r in fleet}
    seen: list[int] = []
    booked: dict[int, list[tuple[datetime, datetime]]] = {}
    for trip in result.trips:
        res = by_driver[trip.driver_id]
        riders = [by_key[k] for k in trip.keys]
        seen.extend(trip.keys)
        assert 1 <= len(riders) <= res.capacity, "capacity exceeded"
        assert all(r.lo <= trip.at <= r.hi for r in riders), "a window (wait limit) is broken"
        if any(r.vip for r in riders):
            assert len(riders) == 1, "a VIP shares a car"
        else:
            assert not res.vip_only, "a VIP-only car carries a non-VIP"
        assert len({(r.kind, r.place, r.hotel_id) for r in riders}) == 1
        assert res.shift_start <= trip.starts_at < trip.ends_at <= res.shift_end
        booked.setdefault(trip.vehicle_id, []).append((trip.starts_at, trip.ends_at))
    for spans in booked.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans)), "double booking"
    unplanned = [r.key for r in result.unplanned]
    assert sorted(seen + unplanned) == sorted(by_key), "a passenger was lost or planned twice"


@settings(max_examples=80, deadline=None)
@given(summits())
def test_every_plan_keeps_capacity_windows_vip_rule_and_shifts(
    summit: tuple[list[Request], list[Resource]],
) -> None:
    requests, fleet = summit
    check_rules(plan(requests, fleet, time_limit=2.0), requests, fleet)


@settings(max_examples=60, deadline=None)
@given(summits())
def test_greedy_fallback_alone_keeps_the_same_rules(
    summit: tuple[list[Request], list[Resource]],
) -> None:
    requests, fleet = summit
    result = plan(requests, fleet, time_limit=0.0)  # no time for CP-SAT: greedy everywhere
    assert result.stats.cp_sat == 0
    check_rules(result, requests, fleet)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=2, max_size=40), st.sampled_from([4, 7, 15]))
def test_cp_sat_never_uses_more_vehicles_than_greedy_with_a_big_fleet(
    offsets: list[int],
    capacity: int,
) -> None:
    requests = [
        Request(
            k,
            k,
            "pickup",
            "FOC",
            "FOC",
            1,
            30,
            T0 + timedelta(minutes=o),
            T0 + timedelta(minutes=o + 50),
        )
        for k, o in enumerate(offsets)
    ]

    def fleet() -> list[Resource]:
        return [
            Resource(i, i, capacity, False, T0 - timedelta(hours=2), T0 + timedelta(hours=12))
            for i in range(len(offsets))
        ]

    solved = plan(requests, fleet(), time_limit=5.0)
    greedy = plan(requests, fleet(), time_limit=0.0)
    assert not solved.unplanned and not greedy.unplanned
    assert len(solved.trips) <= len(greedy.trips)
    assert len(solved.trips) >= -(-len(offsets) // capacity)


def test_planner_uses_fewer_trips_than_first_come_first_served() -> None:
    requests = [
        Request(
            k,
            k,
            "pickup",
            "FOC",
            "FOC",
            k % 3,
            40,
            T0 + timedelta(minutes=3 * k),
            T0 + timedelta(minutes=3 * k + 50),
        )
        for k in range(90)
    ]

    def fleet() -> list[Resource]:
        return [
            Resource(i, i, 7, False, T0 - timedelta(hours=1), T0 + timedelta(hours=12))
            for i in range(30)
        ]

    planned = plan(requests, fleet())
    fcfs = plan_fcfs(requests, fleet())
    assert not planned.unplanned
    assert sum(len(t.keys) for t in fcfs) == 90
    assert len(planned.trips) < len(fcfs)


def test_a_passenger_with_no_free_vehicle_is_reported_not_dropped() -> None:
    lonely = Request(1, 1, "pickup", "FOC", "FOC", 1, 40, T0, T0 + timedelta(minutes=30))
    off_shift = Resource(1, 1, 4, False, T0 + timedelta(hours=5), T0 + timedelta(hours=9))
    result = plan([lonely], [off_shift])
    assert result.trips == [] and result.unplanned == [lonely]
    assert minutes(T0) > 0


def test_a_stranded_passenger_takes_a_free_seat_going_their_way_but_a_vip_does_not() -> None:
    from transport.planner import PlannedTrip, _squeeze

    riders = [
        Request(k, k, "pickup", "FOC", "FOC", 1, 40, T0, T0 + timedelta(minutes=50))
        for k in range(2)
    ]
    trip = PlannedTrip(
        "pickup",
        "FOC",
        "FOC",
        1,
        T0 + timedelta(minutes=10),
        T0,
        T0 + timedelta(minutes=80),
        1,
        1,
        (0, 1),
    )
    same = Request(2, 2, "pickup", "FOC", "FOC", 1, 40, T0, T0 + timedelta(minutes=30))
    vip = Request(3, 3, "pickup", "FOC", "FOC", 1, 40, T0, T0 + timedelta(minutes=30), vip=True)
    farther = Request(4, 4, "pickup", "FOC", "FOC", 1, 55, T0, T0 + timedelta(minutes=30))
    too_late = Request(
        5, 5, "pickup", "FOC", "FOC", 1, 40, T0 + timedelta(minutes=20), T0 + timedelta(minutes=60)
    )
    everyone = {r.key: r for r in [*riders, same, vip, farther, too_late]}
    trips = [trip]
    left = _squeeze([same, vip, farther, too_late], trips, everyone, {1: 3})
    assert trips[0].keys == (0, 1, 2)
    assert left == [vip, farther, too_late]
