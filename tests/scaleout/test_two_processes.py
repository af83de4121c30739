"""Two server processes on one PostgreSQL fan events out to each other's clients through Redis."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
import redis
import requests
import socketio

from tests.conftest import fresh_pg_database, postgres_available
from tests.factories import resident_id
from tests.servers import run_cli, server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def login(base: str, password: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    res = http.post(f"{base}/api/auth/login", json={"username": "ops_admin", "password": password})
    res.raise_for_status()
    return http, res.json()["csrf"]


def test_event_made_in_one_process_reaches_a_console_on_the_other(tmp_path: Path) -> None:
    if not postgres_available() or not redis_available():
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    pg_url = fresh_pg_database("summit_scaleout")
    channel = f"summit-test-{uuid.uuid4().hex[:8]}"
    env = {"DATABASE_URL": pg_url, "SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "SOCKETIO_CHANNEL": channel}
    instance = tmp_path / "inst"
    instance.mkdir()
    password = "scale-out-password"
    run_cli(instance, "init-db", env=env)
    run_cli(
        instance, "create-user", "ops_admin", "--role", "admin", "--password", password, env=env
    )
    with server(instance, env) as base_a, server(instance, env) as base_b:
        http_b, _ = login(base_b, password)
        got = threading.Event()
        events: list[dict] = []
        sio = socketio.Client()

        @sio.on("event", namespace="/live")
        def _on_event(data: dict) -> None:
            events.append(data)
            if data["event"] == "attendee_registered":
                got.set()

        cookie = "; ".join(f"{k}={v}" for k, v in http_b.cookies.items())
        sio.connect(
            base_b, namespaces=["/live"], headers={"Cookie": cookie}, transports=["websocket"]
        )
        try:
            http_a, csrf_a = login(base_a, password)
            res = http_a.post(
                f"{base_a}/api/attendees",
                headers={"X-CSRF-Token": csrf_a},
                json={
                    "name": "林则徐",
                    "category": "vip",
                    "id_type": "cn_resident",
                    "id_number": resident_id(),
                },
            )
            assert res.status_code == 201, res.text
            assert got.wait(10), f"console on B saw only {events}"
            registered = [e for e in events if e["event"] == "attendee_registered"]
            assert len(registered) == 1 and registered[0]["data"]["attendee"]["name"] == "林*徐"
        finally:
            sio.disconnect()
