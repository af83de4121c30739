"""One refusal order for every gate: the pure rule function, and online and offline agreeing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from checkin.codes import issue_code
from checkin.decision_rules import PassFacts, Window, ZoneAccess, refusal
from checkin.offline import OfflineGate
from checkin.watchlist import add_to_watchlist
from core.clock import SimClock, use_clock
from core.runtime import Runtime
from models import Zone
from models.db import transaction
from tests.checkin.conftest import Venue, build_venue
from tests.checkin.test_gate_rules import scan
from tests.conftest import Caller, device_caller
from tests.factories import make_attendee, make_gate, make_zone
from tests.servers import free_port

AT = datetime(2026, 12, 8, 2, 0)  # 10:00 in Fuzhou on a summit day
HOUR = timedelta(hours=1)
LOUNGE = ZoneAccess(
    windows=(
        Window(frozenset({"delegate"}), AT - HOUR, AT + HOUR),
        Window(frozenset({"speaker"}), AT + 2 * HOUR, AT + 3 * HOUR),
    )
)
EVERYTHING_WRONG = PassFacts(
    at=AT,
    direction="in",
    zone=LOUNGE,
    category="visitor",
    gate_open=False,
    failure="face_unknown",
    revoked=True,
    watched=True,
    code_replayed=True,
    already_inside=True,
)
# Put right one rule after another: each time the next rule in the order speaks.
FIXES: list[tuple[dict[str, Any], str | None]] = [
    ({}, "gate_closed"),
    ({"gate_open": True}, "face_unknown"),
    ({"failure": None}, "attendee_revoked"),
    ({"revoked": False}, "watchlist_hit"),
    ({"watched": False}, "code_replayed"),
    ({"code_replayed": False}, "category_not_allowed"),
    ({"category": "speaker"}, "outside_hours"),
    ({"category": "delegate"}, "already_checked_in"),
    ({"already_inside": False}, None),
]


@pytest.mark.parametrize("step", range(len(FIXES)), ids=[str(r) for _, r in FIXES])
def test_each_rule_beats_every_rule_after_it(step: int) -> None:
    facts = EVERYTHING_WRONG
    for changes, _reason in FIXES[: step + 1]:
        facts = replace(facts, **changes)
    assert refusal(facts) == FIXES[step][1]


def test_nobody_identified_is_refused_as_revoked() -> None:
    facts = replace(EVERYTHING_WRONG, gate_open=True, failure=None, revoked=False)
    assert refusal(replace(facts, attendee_known=False)) == "attendee_revoked"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),  # watched, replayed code, wrong category, already inside: let out anyway
        ({"revoked": True}, "attendee_revoked"),
        ({"attendee_known": False}, "attendee_revoked"),
        ({"failure": "code_forged"}, "code_forged"),
        ({"gate_open": False}, "gate_closed"),
    ],
)
def test_exit_gates_check_the_gate_and_identity_only(
    changes: dict[str, Any], reason: str | None
) -> None:
    exit_facts = replace(
        EVERYTHING_WRONG, direction="out", gate_open=True, failure=None, revoked=False
    )
    assert refusal(replace(exit_facts, **changes)) == reason


@pytest.mark.parametrize(
    ("category", "at", "reason"),
    [
        ("delegate", AT, None),
        ("visitor", AT, "category_not_allowed"),
        ("delegate", AT - 2 * HOUR, "outside_hours"),  # before opening
        ("delegate", AT + HOUR, "outside_hours"),  # closing time is already closed
        ("delegate", AT + HOUR - timedelta(seconds=1), None),
    ],
)
def test_a_zone_without_windows_uses_its_categories_and_hours(
    category: str, at: datetime, reason: str | None
) -> None:
    hall = ZoneAccess(frozenset({"delegate", "vip"}), opens_at=AT - HOUR, closes_at=AT + HOUR)
    assert hall.refusal(category, at) == reason


def test_a_window_includes_its_start_and_excludes_its_end() -> None:
    assert LOUNGE.refusal("delegate", AT - HOUR) is None
    assert LOUNGE.refusal("delegate", AT + HOUR) == "outside_hours"
    assert LOUNGE.allowed_at(AT + 2 * HOUR) == {"speaker"}


# -- online and offline: the same facts give the same reason --------------------------------


@pytest.fixture
def summit_morning() -> Iterator[None]:
    """Ten in the morning of a summit day: every window of the venue falls on this day."""
    use_clock(SimClock(AT, 1.0))
    yield
    use_clock(None)


@dataclass
class Scene:
    venue: Venue
    gates: dict[str, int]
    people: dict[str, int]


@pytest.fixture
def scene(summit_morning: None, runtime: Runtime) -> Scene:
    """The test venue plus a closed gate, a press centre closed since 9:00, and more people."""
    venue = build_venue(runtime)
    with transaction(runtime.sessions) as db:
        hall = db.get(Zone, venue.hall)
        assert hall is not None
        closed = make_gate(db, hall, "A3")
        closed.open = False
        press = make_zone(
            db, "press_centre", "delegate,media", opens_at=AT - 2 * HOUR, closes_at=AT - HOUR
        )
        press_gate = make_gate(db, press, "P1")
        speaker = make_attendee(db, runtime.pii, name="王五", category="speaker")
        revoked = make_attendee(db, runtime.pii, name="赵六", category="delegate")
        revoked.revoked = True
        watched = make_attendee(db, runtime.pii, name="钱七", category="delegate")
        add_to_watchlist(db, watched.id, "seen at a protest", "test")
        gates = {"hall": venue.gate_in, "exit": venue.gate_out, "vip": venue.vip_in}
        gates |= {"closed": closed.id, "press": press_gate.id}
        people = {"speaker": speaker.id, "revoked": revoked.id, "watched": watched.id}
    people |= {"delegate": venue.delegate, "vip": venue.vip_guest, "visitor": venue.visitor}
    return Scene(venue, gates, people)


def cut_off_gate(
    app: Flask, runtime: Runtime, gate_id: int, queue: Path
) -> tuple[Caller, OfflineGate]:
    """A gate device online (through the test client) and its twin that cannot reach the server."""
    device = device_caller(app, runtime, "gate", f"gate-{gate_id}", gate_id=gate_id)
    token = device.headers["Authorization"].removeprefix("Bearer ")
    offline = OfflineGate(f"http://127.0.0.1:{free_port()}", token, gate_id, queue, timeout=1)
    device.post(f"/api/gates/{gate_id}/device-key", json=offline.public_keys())  # enrolment
    offline.load_bundle(device.get(f"/api/gates/{gate_id}/bundle").json)  # what sync() fetches
    return device, offline


PASSES = [
    ("hall", "delegate", "checked_in"),
    ("hall", "delegate", "already_checked_in"),
    ("hall", "visitor", "category_not_allowed"),
    ("hall", "revoked", "attendee_revoked"),
    ("hall", "watched", "watchlist_hit"),
    ("closed", "vip", "gate_closed"),
    ("vip", "speaker", "outside_hours"),
    ("vip", "delegate", "category_not_allowed"),
    ("press", "delegate", "outside_hours"),
    ("exit", "revoked", "attendee_revoked"),
]


def test_online_and_offline_gates_give_the_same_reason_for_the_same_facts(
    app: Flask, runtime: Runtime, scene: Scene, tmp_path: Path
) -> None:
    gates = {
        name: cut_off_gate(app, runtime, gate_id, tmp_path / f"{name}.db")
        for name, gate_id in scene.gates.items()
    }
    online, offline = [], []
    for gate, person, _reason in PASSES:
        device, cut_off = gates[gate]
        code = issue_code(runtime, scene.people[person])
        online.append(scan(device, scene.gates[gate], code)["reason"])
        answer = cut_off.pass_code(issue_code(runtime, scene.people[person]))
        assert answer["offline"]
        offline.append(answer["reason"])
    assert online == offline == [reason for _g, _p, reason in PASSES]
