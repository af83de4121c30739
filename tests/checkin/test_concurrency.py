"""Twenty devices scanning the same attendee at the same moment leave one check-in record."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from checkin.service import Claim, Decision, decide_pass
from core.accounts import create_device
from core.runtime import Runtime
from models import AccessEvent, VenueCheckIn, ZonePresence
from models.db import transaction
from tests.checkin.conftest import build_venue, new_nonce

DEVICES = 20


def storm(rt: Runtime) -> list[Decision]:
    """Release 20 threads, each a gate device with its own nonce, at one barrier."""
    venue = build_venue(rt)
    with transaction(rt.sessions) as db:
        ids = [
            create_device(db, f"gate-{i}", "gate", "test", gate_id=venue.gate_in)[0].id
            for i in range(DEVICES)
        ]
    barrier = threading.Barrier(DEVICES)
    results: list[Decision] = []
    errors: list[BaseException] = []

    def scan(device_id: int) -> None:
        try:
            barrier.wait()
            with transaction(rt.sessions) as db:
                results.append(
                    decide_pass(
                        db,
                        venue.gate_in,
                        new_nonce(),
                        Claim("face", venue.delegate),
                        f"device:{device_id}",
                        device_id,
                    )
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


def check(rt: Runtime, results: list[Decision]) -> None:
    reasons = Counter(r.reason for r in results)
    assert reasons == {"checked_in": 1, "already_checked_in": DEVICES - 1}
    assert len({r.first_seen for r in results}) == 1  # everyone answers with the first scan's time
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count(VenueCheckIn.id))) == 1
        assert db.scalar(select(func.count(AccessEvent.id))) == DEVICES
        assert db.scalar(select(func.count(ZonePresence.id))) == 1


def test_twenty_devices_at_once_make_one_check_in_on_sqlite(runtime: Runtime) -> None:
    check(runtime, storm(runtime))


@pytest.mark.postgres
def test_twenty_devices_at_once_make_one_check_in_on_postgresql(pg_runtime: Runtime) -> None:
    check(pg_runtime, storm(pg_runtime))


def walk(rt: Runtime) -> list[str]:
    """In, in again, out, out again, back in: the reasons, decided by the service."""
    venue = build_venue(rt)
    steps = [venue.gate_in, venue.gate_in2, venue.gate_out, venue.gate_out, venue.gate_in]
    reasons = []
    for gate in steps:
        with transaction(rt.sessions) as db:
            d = decide_pass(db, gate, new_nonce(), Claim("face", venue.delegate), "device:1")
            reasons.append(d.reason)
    return reasons


EXPECTED_WALK = ["checked_in", "already_checked_in", "exited", "not_inside", "reentry"]


def test_anti_passback_walk_on_sqlite(runtime: Runtime) -> None:
    assert walk(runtime) == EXPECTED_WALK


@pytest.mark.postgres
def test_anti_passback_walk_on_postgresql(pg_runtime: Runtime) -> None:
    assert walk(pg_runtime) == EXPECTED_WALK


@pytest.mark.postgres
def test_a_gate_check_in_on_postgresql_publishes_the_journey_stage(pg_runtime: Runtime) -> None:
    from core.events import Published, subscribe

    venue = build_venue(pg_runtime)
    seen: list[Published] = []
    unsubscribe = subscribe(seen.append)
    try:
        with transaction(pg_runtime.sessions) as db:
            decide_pass(db, venue.gate_in, new_nonce(), Claim("code", venue.delegate), "device:1")
    finally:
        unsubscribe()
    stages = [e.payload["stage"] for e in seen if e.name == "journey_stage_recorded"]
    assert stages == ["venue_checked_in"]
