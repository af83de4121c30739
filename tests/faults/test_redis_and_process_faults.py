"""Redis restarts and a server killed mid-pass: events are caught up, passes are not doubled."""

from __future__ import annotations

import importlib.util
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from core.config import PROJECT_ROOT
from models import AccessEvent
from rehearsal.actors import Api, LiveClient, Metrics, Phone, nonce
from tests.conftest import fresh_pg_database, postgres_available
from tests.factories import resident_id
from tests.faults.processes import killable_server
from tests.faults.services import PrivateRedis

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def load_test_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "load_test", PROJECT_ROOT / "benchmarks" / "load_test.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summit(tmp_path: Path, name: str, attendees: int = 30) -> tuple[Path, str, Any]:
    """An instance on a fresh PostgreSQL database with the demo summit and the load admin."""
    if not postgres_available():
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432")
    url = fresh_pg_database(name)
    instance = tmp_path / "inst"
    instance.mkdir()
    lt = load_test_module()
    lt.prepare(instance, url, attendees)
    return instance, url, lt


def register(admin: Api) -> int:
    status, body = admin.post(
        "register",
        "/api/attendees",
        json={
            "name": "周恩来",
            "category": "delegate",
            "id_type": "cn_resident",
            "id_number": resident_id(),
        },
    )
    assert status == 201, body
    return int(body["id"])


def test_events_made_while_redis_is_down_reach_a_console_by_catch_up(tmp_path: Path) -> None:
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    try:
        instance, url, lt = summit(tmp_path, "summit_fault_redis", attendees=5)
        env = {
            "DATABASE_URL": url,
            "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
            "SOCKETIO_CHANNEL": f"fault-{uuid.uuid4().hex[:6]}",
        }
        with (
            killable_server(instance, env) as (base_a, _),
            killable_server(instance, env) as (
                base_b,
                _,
            ),
        ):
            metrics = Metrics()
            admin_a, admin_b = Api(base_a, metrics), Api(base_b, metrics)
            admin_a.login(*lt.ADMIN)
            admin_b.login(*lt.ADMIN)
            seen: list[dict[str, Any]] = []
            cookie = "; ".join(f"{k}={v}" for k, v in admin_b.http.cookies.items())
            console = LiveClient(base_b, seen.append, cookie=cookie)
            console.connect()
            first = register(admin_a)
            assert wait_for(lambda: registered_ids(seen) == {first}), seen
            last_seq = max(e["seq"] for e in seen)
            redis_server.stop()
            during = [register(admin_a) for _ in range(3)]  # the writes themselves still succeed
            time.sleep(1.0)
            assert not set(during) & registered_ids(seen), "Redis was down, yet they arrived live"
            redis_server.start()
            console.close()
            again: list[dict[str, Any]] = []
            console = LiveClient(base_b, again.append, cookie=cookie)  # the console reconnects
            console.connect()
            answer = console.sio.call("catch_up", {"after": last_seq}, namespace="/live")
            assert answer["ok"] and answer["count"] >= 3, answer
            assert wait_for(lambda: set(during) <= registered_ids(again)), again
            # No event twice. Arrival order is not checked here: the Python Socket.IO client
            # runs each incoming message's handler in its own thread, so two events sent in
            # order can be recorded out of order. The server's order is tested with the
            # synchronous test client in tests/foundation/test_events_live.py.
            assert wait_for(lambda: answer["seq"] in {e["seq"] for e in again}), again
            caught = [e["seq"] for e in again]
            assert len(caught) == len(set(caught)), caught
            # And the fan-out works again once Redis is back. B's subscriber reconnects on its
            # own back-off (1, 2, 4 s ...); Redis keeps no message for a channel nobody listens
            # to, so an event published before B is subscribed again arrives only by catch_up.
            later: list[int] = []
            for _ in range(15):
                later.append(register(admin_a))
                if wait_for(lambda: later[-1] in registered_ids(again), 1):
                    break
            assert later[-1] in registered_ids(again), again
            console.close()
    finally:
        redis_server.stop()


def registered_ids(events: list[dict[str, Any]]) -> set[int]:
    return {e["data"]["attendee"]["id"] for e in events if e["event"] == "attendee_registered"}


def wait_for(check: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


def test_passes_retried_on_the_surviving_process_after_kill_9_are_not_doubled(
    tmp_path: Path,
) -> None:
    instance, url, lt = summit(tmp_path, "summit_fault_kill", attendees=40)
    gate_ids, _drivers, people, _ = lt.world(url)
    env = {"DATABASE_URL": url, "RATE_LIMIT_FACTOR": "0"}
    with (
        killable_server(instance, env) as (base_a, proc_a),
        killable_server(instance, env) as (
            base_b,
            _,
        ),
    ):
        metrics = Metrics()
        admin = Api(base_b, metrics)
        admin.login(*lt.ADMIN)
        token = lt.register_devices(admin, 1, gate_ids[:1], [])["gate"][0][1]
        gate = gate_ids[0]
        phones = [Phone(base_b, metrics, admin, a) for a in people[:30]]
        sent: list[tuple[dict[str, Any], int, dict[str, Any]]] = []
        on_a = Api(base_a, metrics, token)

        def passes() -> None:
            for phone in phones:
                body = {"method": "code", "code": phone.entrance_code(), "nonce": nonce()}
                status, answer = on_a.call(
                    "POST", "pass_a", f"/api/gates/{gate}/pass", retries=0, json=body
                )
                sent.append((body, status, answer))

        runner = threading.Thread(target=passes)
        runner.start()
        assert wait_for(lambda: len(sent) >= 5, 30), sent
        proc_a.kill()  # SIGKILL: no clean shutdown, requests in flight are cut
        runner.join(60)
        assert any(status == 0 for _, status, _ in sent), "the kill did not cut any request"
        on_b = Api(base_b, metrics, token)
        for body, status, answer in sent:  # the gate retries every pass on the survivor
            retry_status, retried = on_b.post("pass_b", f"/api/gates/{gate}/pass", json=body)
            assert retry_status == 200, retried
            if status == 200:
                assert retried["granted"] == answer["granted"], (answer, retried)
    engine = create_engine(url)
    with engine.connect() as conn:
        nonces = [b["nonce"] for b, _, _ in sent]
        rows = conn.scalar(select(func.count(AccessEvent.id)).where(AccessEvent.nonce.in_(nonces)))
    engine.dispose()
    assert rows == len(sent)
