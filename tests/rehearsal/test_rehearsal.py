"""Rehearsals: a deterministic plan, and a short full rehearsal through the real API."""

from __future__ import annotations

from datetime import date

import pytest

from core.runtime import Runtime
from rehearsal.plan import Scenario, build_plan
from rehearsal.runner import rehearse
from seed import seed_summit

STAGES = {
    "registered",
    "arrived",
    "picked_up",
    "hotel_checked_in",
    "venue_checked_in",
    "hotel_checked_out",
    "departed",
}


def test_the_same_seed_gives_the_same_plan_and_queue_figures(runtime: Runtime) -> None:
    seed_summit(runtime, seed=5, attendees=60, start=date(2026, 12, 7))
    with runtime.sessions() as db:
        first, again = build_plan(db, Scenario(seed=11)), build_plan(db, Scenario(seed=11))
        other = build_plan(db, Scenario(seed=12))
        closed = build_plan(db, Scenario(seed=11, closed_gates=(first.visits[0].gate_code,)))
    assert first.visits == again.visits and first.landings == again.landings
    assert first.queue_stats == again.queue_stats and first.queue_stats
    assert other.visits != first.visits
    assert first.visits[0].gate_code not in closed.queue_stats  # what if that gate closes?


def test_delays_are_announced_before_the_flight_and_move_the_landing(runtime: Runtime) -> None:
    seed_summit(runtime, seed=5, attendees=60, start=date(2026, 12, 7))
    with runtime.sessions() as db:
        plan = build_plan(db, Scenario(seed=3, delay_share=1.0, delay_minutes=120))
    assert plan.landings and all(x.delayed_by == 120 for x in plan.landings)
    assert all(x.announce_at < x.scheduled < x.landing for x in plan.landings)


def test_queues_grow_when_lanes_are_fewer(runtime: Runtime) -> None:
    seed_summit(runtime, seed=5, attendees=60, start=date(2026, 12, 7))
    with runtime.sessions() as db:
        wide = build_plan(db, Scenario(seed=2, lanes=4, service_seconds=6))
        narrow = build_plan(db, Scenario(seed=2, lanes=1, service_seconds=60))
    peak = lambda plan: max(g["peak_queue"] for g in plan.queue_stats.values())  # noqa: E731
    assert peak(narrow) > peak(wide)


@pytest.mark.slow
def test_a_short_rehearsal_plays_every_stage_and_loses_nothing() -> None:
    report = rehearse(
        Scenario(seed=3, speed=2400, question_share=0.05), attendees=40, deadline_s=600
    )
    assert report["errors"] == []
    integrity = report["integrity"]
    assert integrity["console_events_missing"] == 0 and integrity["console_events_duplicated"] == 0
    assert integrity["console_events_received"] > 100
    assert integrity["gate_grants_answered"] == integrity["gate_grants_stored"] > 0
    assert integrity["access_events"] == integrity["access_event_nonces_distinct"]
    assert integrity["venue_checkins"] > 0 and integrity["venue_checkins_doubled"] == 0
    assert set(report["journey"]) == STAGES
    assert report["journey"]["registered"] == 40 and report["journey"]["departed"] > 20
    assert report["gates"] and report["pickup_waves"] and report["vehicles_per_hour"]
    kerb, after = report["transport"]["kerb"], report["transport"]["after_landing"]
    assert kerb["n"] == after["n"] > 0 and 0 <= kerb["mean"] < after["mean"]
    assert set(report["kerb_waves"]) == set(report["pickup_waves"])
    assert sum(c["kerb"]["n"] for c in report["pickup_categories"].values()) == kerb["n"]
    # Nobody landed without a trip; every driver round at the kerb ended (board or no-show).
    assert report["transport"]["landed_without_trip"] == 0
    assert report["transport"]["left_waiting_at_pickup"] == 0
