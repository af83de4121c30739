"""The database goes away under load: clear 503s, retries, then nothing lost or doubled."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from models import Attendee, JourneyStep
from tests.factories import resident_id
from tests.faults.services import PrivatePostgres
from tests.servers import run_cli, server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
PASSWORD = "fault-test-password"


def register(base: str, http: requests.Session, csrf: str, number: str) -> int:
    """POST one registration; returns the HTTP status (0 when the server could not be reached)."""
    body = {
        "name": "故障测试",
        "category": "delegate",
        "id_type": "cn_resident",
        "id_number": number,
    }
    try:
        res = http.post(
            f"{base}/api/attendees", json=body, headers={"X-CSRF-Token": csrf}, timeout=15
        )
    except requests.RequestException:
        return 0
    if res.status_code == 503:
        assert res.json()["error"] == "database_unavailable"
        assert res.headers["Retry-After"]
    return res.status_code


def test_postgres_restart_during_registrations_loses_and_doubles_nothing(tmp_path: Path) -> None:
    pg = PrivatePostgres()
    pg.start()
    try:
        env = {"DATABASE_URL": pg.url}
        instance = tmp_path / "inst"
        instance.mkdir()
        run_cli(instance, "init-db", env=env)
        run_cli(
            instance,
            "create-user",
            "fault_admin",
            "--role",
            "admin",
            "--password",
            PASSWORD,
            env=env,
        )
        numbers = [resident_id(700 + i) for i in range(60)]
        statuses: dict[str, list[int]] = {n: [] for n in numbers}
        with server(instance, env) as base:
            http = requests.Session()
            csrf = http.post(
                f"{base}/api/auth/login", json={"username": "fault_admin", "password": PASSWORD}
            ).json()["csrf"]

            def outage() -> None:
                time.sleep(0.6)
                pg.stop()
                time.sleep(2.0)
                pg.start()

            cut = threading.Thread(target=outage)
            cut.start()
            for number in numbers:  # the first pass runs into the outage
                statuses[number].append(register(base, http, csrf, number))
                time.sleep(0.05)
            cut.join()
            for number in numbers:  # clients retry whatever did not get a definite answer
                attempts = 0
                while statuses[number][-1] not in (201, 409) and attempts < 20:
                    time.sleep(0.3)
                    statuses[number].append(register(base, http, csrf, number))
                    attempts += 1
        assert any(503 in s or 0 in s for s in statuses.values()), "the outage was not observed"
        assert all(s[-1] in (201, 409) for s in statuses.values()), statuses
        engine = create_engine(pg.url)
        with engine.connect() as conn:
            count = conn.scalar(select(func.count(Attendee.id)))
            registered = conn.scalar(
                select(func.count(JourneyStep.id)).where(JourneyStep.stage == "registered")
            )
            distinct = conn.scalar(text("SELECT count(DISTINCT id_digest) FROM attendee"))
        engine.dispose()
        assert count == distinct == registered == len(numbers)
    finally:
        pg.remove()
