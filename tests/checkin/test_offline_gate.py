"""A gate cut off from the server keeps deciding, queues on disk, and replays without duplicates."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from checkin.codes import issue_code
from checkin.offline import OfflineGate
from checkin.watchlist import add_to_watchlist
from core.accounts import create_device
from core.clock import utcnow
from core.masking import mask_name
from core.runtime import Runtime
from models import AccessEvent, Alert, Attendee, Device, VenueCheckIn
from models.db import transaction
from tests.checkin.conftest import Venue, new_nonce
from tests.checkin.faces import enrol
from tests.checkin.test_gate_rules import count, scan
from tests.conftest import Caller, device_caller
from tests.servers import free_port

pytestmark = pytest.mark.slow


@contextmanager
def serving(app: Flask, port: int) -> Iterator[str]:
    srv = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def gate_token(runtime: Runtime, venue: Venue, liveness: bool = False) -> str:
    with transaction(runtime.sessions) as db:
        device, token = create_device(db, "gate-A1-offline", "gate", "test", gate_id=venue.gate_in)
        device.liveness_required = liveness  # a staffed gate: single photos are enough
    return token


def enrolled_gate(
    app: Flask, runtime: Runtime, venue: Venue, queue: Path
) -> tuple[Caller, OfflineGate]:
    """Gate A1's device online through the test client, with the keys its cache file made."""
    device = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)
    token = device.headers["Authorization"].removeprefix("Bearer ")
    gate = OfflineGate(f"http://127.0.0.1:{free_port()}", token, venue.gate_in, queue)
    res = device.post(f"/api/gates/{venue.gate_in}/device-key", json=gate.public_keys())
    assert res.status_code == 201
    return device, gate


def test_an_offline_gate_decides_queues_and_replays_without_loss_or_duplicates(
    app: Flask, runtime: Runtime, venue: Venue, faces_dir: Path, tmp_path: Path
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    port, token = free_port(), gate_token(runtime, venue)
    gate = OfflineGate(
        f"http://127.0.0.1:{port}", token, venue.gate_in, tmp_path / "queue.db", timeout=1
    )
    with serving(app, port):
        gate.sync()  # enrols this device's keys first
    assert gate.bundle is not None and len(gate.gallery[0]) == 1  # the sealed gallery opened
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    decided = [
        gate.pass_code(issue_code(runtime, venue.delegate)),
        gate.pass_code(issue_code(runtime, venue.delegate)),
        gate.pass_code(issue_code(runtime, venue.visitor)),
        gate.pass_code(issue_code(Ed25519PrivateKey.generate(), venue.delegate)),
        gate.pass_face((faces_dir / "probe/obama1.jpg").read_bytes()),
        gate.pass_face((faces_dir / "enroll/biden/biden2.jpg").read_bytes()),
    ]
    assert all(d["offline"] for d in decided)
    assert [d["reason"] for d in decided] == [
        "checked_in",
        "already_checked_in",
        "category_not_allowed",
        "code_forged",
        "checked_in",
        "face_unknown",
    ]
    assert count(runtime, AccessEvent) == 0 and len(gate.queue) == 6
    queued = gate.queue.items()
    assert [q["seq"] for q in queued] == [1, 2, 3, 4, 5, 6] and all(q["sig"] for q in queued)
    restarted = OfflineGate(gate.base_url, token, venue.gate_in, tmp_path / "queue.db")  # power cut
    with serving(app, port):
        assert restarted.flush() == 6
        again = restarted.http.post(
            f"{gate.base_url}/api/gates/{venue.gate_in}/replay", json={"events": queued}
        ).json()["results"]  # an ack was lost
    assert {r["status"] for r in again} == {"duplicate"}
    assert len(restarted.queue) == 0
    assert count(runtime, AccessEvent) == 6 and count(runtime, VenueCheckIn) == 2
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(func.count()).where(AccessEvent.offline.is_(True))) == 6
        kinds = set(db.scalars(select(Alert.kind)))
        assert kinds == {"code_forged"}  # the forged entrance code; the lost ack is no attack
        first = db.scalar(
            select(VenueCheckIn.first_seen).where(VenueCheckIn.attendee_id == venue.delegate)
        )
        assert first is not None and first.isoformat() + "+00:00" == decided[0]["at"]


def test_a_queued_earlier_scan_becomes_the_first_seen_of_the_day(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    port, token = free_port(), gate_token(runtime, venue)
    gate = OfflineGate(
        f"http://127.0.0.1:{port}", token, venue.gate_in, tmp_path / "q.db", timeout=1
    )
    with serving(app, port):
        gate.sync()
    offline = gate.pass_code(issue_code(runtime, venue.delegate))
    online_gate = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    later = scan(online_gate, venue.gate_in2, issue_code(runtime, venue.delegate))
    assert later["reason"] == "checked_in"
    with serving(app, port):
        gate.flush()
    with transaction(runtime.sessions) as db:
        rows = db.scalars(select(VenueCheckIn)).all()
        assert len(rows) == 1 and rows[0].gate_id == venue.gate_in
        assert rows[0].first_seen.isoformat() + "+00:00" == offline["at"]


def test_a_code_let_in_at_two_offline_gates_alerts_security_on_replay(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    code = issue_code(runtime, venue.delegate)
    online_gate = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    scan(online_gate, venue.gate_in2, code)
    port, token = free_port(), gate_token(runtime, venue)
    gate = OfflineGate(
        f"http://127.0.0.1:{port}", token, venue.gate_in, tmp_path / "q.db", timeout=1
    )
    with serving(app, port):
        gate.sync()
    assert gate.pass_code(code)["granted"]  # offline, this gate cannot know about the other one
    with serving(app, port):
        gate.flush()
    with transaction(runtime.sessions) as db:
        assert (
            db.scalar(select(Alert.kind).where(Alert.gate_id == venue.gate_in))
            == "code_replayed_offline"
        )


def test_replays_with_bad_events_are_refused_whole(
    app: Flask, runtime: Runtime, venue: Venue
) -> None:
    gate = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)
    good = {
        "nonce": "n" * 16,
        "method": "code",
        "attendee_id": venue.delegate,
        "granted": True,
        "reason": "checked_in",
        "at": utcnow().isoformat() + "+00:00",
    }
    cases = [
        ({**good, "reason": "face_unknown"}, "inconsistent_event"),
        ({**good, "attendee_id": None}, "inconsistent_event"),
        ({**good, "at": (utcnow() - timedelta(days=3)).isoformat() + "+00:00"}, "invalid_time"),
        ({**good, "reason": "made_up"}, "validation_error"),
    ]
    for bad, code in cases:
        res = gate.post(
            f"/api/gates/{venue.gate_in}/replay", json={"events": [good | {"nonce": "m" * 16}, bad]}
        )
        assert (res.status_code, res.json["error"]) == (400, code)
    other = gate.post(f"/api/gates/{venue.gate_in2}/replay", json={"events": [good]})
    assert other.json["error"] == "wrong_gate"
    assert count(runtime, AccessEvent) == 0


def test_the_bundle_is_only_for_the_gates_own_device(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    gate, _keys = enrolled_gate(app, runtime, venue, tmp_path / "q.db")
    assert gate.get(f"/api/gates/{venue.gate_in2}/bundle").json["error"] == "wrong_gate"
    bundle = gate.get(f"/api/gates/{venue.gate_in}/bundle").json
    assert {a["id"] for a in bundle["attendees"]} == {venue.delegate, venue.vip_guest}
    assert "Barack" not in str(bundle["attendees"])  # names are masked
    with transaction(runtime.sessions) as db:
        assert db.get(Device, gate.principal_id) is not None


def queued_grant(attendee_id: int, nonce: str) -> dict[str, Any]:
    """What an offline gate queues when it lets someone in."""
    return {
        "nonce": nonce,
        "method": "code",
        "attendee_id": attendee_id,
        "granted": True,
        "reason": "checked_in",
        "at": utcnow().isoformat() + "+00:00",
    }


def revoke(db: Session, venue: Venue) -> int:
    db.get(Attendee, venue.delegate).revoked = True  # type: ignore[union-attr]
    return venue.delegate


def watch(db: Session, venue: Venue) -> int:
    add_to_watchlist(db, venue.delegate, "seen at a protest", "test")
    return venue.delegate


def visitor(_db: Session, venue: Venue) -> int:
    return venue.visitor  # the main hall does not admit visitors


@pytest.mark.parametrize(
    ("server_knows", "reason", "severity"),
    [
        (revoke, "attendee_revoked", "warning"),
        (watch, "watchlist_hit", "critical"),
        (visitor, "category_not_allowed", "warning"),
    ],
)
def test_a_replayed_grant_the_server_refuses_is_stored_once_and_alerts_security_once(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    server_knows: Callable[[Session, Venue], int],
    reason: str,
    severity: str,
    tmp_path: Path,
) -> None:
    with transaction(runtime.sessions) as db:
        attendee_id = server_knows(db, venue)
        name = mask_name(db.get(Attendee, attendee_id).name)  # type: ignore[union-attr]
    gate, keys = enrolled_gate(app, runtime, venue, tmp_path / "q.db")
    batch = {"events": [keys.sign(queued_grant(attendee_id, new_nonce()), seq=1)]}
    first = gate.post(f"/api/gates/{venue.gate_in}/replay", json=batch).json["results"]
    again = gate.post(f"/api/gates/{venue.gate_in}/replay", json=batch).json["results"]
    assert (first[0]["status"], first[0]["server_reason"]) == ("recorded", reason)
    assert again[0]["status"] == "duplicate"
    with transaction(runtime.sessions) as db:
        alerts = db.scalars(select(Alert).where(Alert.kind == "offline_grant_refused")).all()
        assert len(alerts) == 1
        alert = alerts[0]
        assert (alert.severity, alert.security, alert.gate_id) == (severity, True, venue.gate_in)
        assert alert.attendee_id == attendee_id
        assert "gate A1" in alert.message and name in alert.message and reason in alert.message
        event = db.scalars(select(AccessEvent)).one()  # the person did go through: kept as such
        assert (event.granted, event.reason) == (True, "checked_in")
        assert event.note == f"offline; the server refuses: {reason}"
    assert count(runtime, VenueCheckIn) == 1


def test_a_replayed_grant_the_server_agrees_with_raises_no_alert(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    gate, keys = enrolled_gate(app, runtime, venue, tmp_path / "q.db")
    batch = {"events": [keys.sign(queued_grant(venue.delegate, new_nonce()), seq=1)]}
    results = gate.post(f"/api/gates/{venue.gate_in}/replay", json=batch).json["results"]
    assert results[0]["status"] == "recorded" and "server_reason" not in results[0]
    assert count(runtime, Alert) == 0
    with transaction(runtime.sessions) as db:
        assert db.scalars(select(AccessEvent.note)).one() == "offline"


def test_a_watch_listed_person_let_in_by_a_stale_gate_alerts_security_on_flush(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    port, token = free_port(), gate_token(runtime, venue)
    gate = OfflineGate(
        f"http://127.0.0.1:{port}", token, venue.gate_in, tmp_path / "q.db", timeout=1
    )
    with serving(app, port):
        gate.sync()
    with transaction(runtime.sessions) as db:
        watch(db, venue)  # while the gate is cut off: its bundle does not know
    assert gate.pass_code(issue_code(runtime, venue.delegate))["granted"]
    with serving(app, port):
        assert gate.flush() == 1
    with transaction(runtime.sessions) as db:
        alert = db.scalars(select(Alert)).one()
        assert (alert.kind, alert.severity) == ("offline_grant_refused", "critical")
