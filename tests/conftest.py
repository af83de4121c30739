"""Shared fixtures: a fresh database and app per test, clients for each kind of caller.

Set `TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test` to run the same suite on
PostgreSQL; tests marked `postgres` always use PostgreSQL and skip (saying why) when it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from core import accounts
from core.config import PROJECT_ROOT, Config
from core.runtime import Runtime, build_runtime, create_schema
from kiosk_ui.app import create_app
from models import Base
from models.db import transaction
from web import ratelimit

SHARED_FACES = PROJECT_ROOT.parent / "shared" / "data" / "faces"
# With SUMMIT_REQUIRE_ALL=1 (CI sets it) a test skipped because a service, a program or the
# shared data is missing fails instead: a broken CI set-up must not pass as "skipped".
MISSING_WORDS = (
    "absent",
    "not installed",
    "not reachable",
    "needs PostgreSQL",
    "is needed",
    "are needed",
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.skipped and os.environ.get("SUMMIT_REQUIRE_ALL") == "1":
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
        if any(word in reason for word in MISSING_WORDS):
            report.outcome = "failed"
            report.longrepr = f"required here (SUMMIT_REQUIRE_ALL=1) but skipped: {reason}"
    return report


PG_URL = os.environ.get("PG_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_pg_database(name: str) -> str:
    """A new, empty PostgreSQL database of its own (for tests that start server processes)."""
    admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        reset_postgres(url)
    return Config.for_tests(tmp_path / "instance", url)


@pytest.fixture
def runtime(config: Config) -> Iterator[Runtime]:
    rt = build_runtime(config)
    create_schema(rt)
    yield rt
    rt.close()


@pytest.fixture
def pg_runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on the machine's PostgreSQL (fresh schema); skips when PostgreSQL is absent."""
    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}; start it to run this test")
    reset_postgres(PG_URL)
    rt = build_runtime(Config.for_tests(tmp_path / "pg-instance", PG_URL))
    Base.metadata.create_all(rt.engine)
    yield rt
    rt.close()


@pytest.fixture
def app(runtime: Runtime) -> Iterator[Flask]:
    ratelimit.reset()
    application = create_app(runtime=runtime)
    yield application
    application.extensions["summit_unsubscribe"]()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Caller:
    """A test client plus what it needs to authenticate (cookie+CSRF, or bearer token)."""

    client: FlaskClient
    headers: dict[str, str]
    principal_id: int

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)


def login_as(app: Flask, runtime: Runtime, role: str, username: str | None = None) -> Caller:
    """Create a staff user with `role` and log a fresh client in."""
    username = username or f"{role}_user"
    with transaction(runtime.sessions) as db:
        user = accounts.create_user(db, username, PASSWORD, role)
        user_id = user.id
    client = app.test_client()
    res = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.json
    return Caller(client, {"X-CSRF-Token": res.json["csrf"]}, user_id)


def device_caller(
    app: Flask, runtime: Runtime, kind: str, name: str | None = None, **links: Any
) -> Caller:
    """Register a device of `kind` and return a client that sends its bearer token."""
    with transaction(runtime.sessions) as db:
        device, token = accounts.create_device(db, name or f"{kind}-1", kind, "test", **links)
        device_id = device.id
    return Caller(app.test_client(), {"Authorization": f"Bearer {token}"}, device_id)


@pytest.fixture
def admin(app: Flask, runtime: Runtime) -> Caller:
    return login_as(app, runtime, "admin")


@pytest.fixture
def staff(app: Flask, runtime: Runtime) -> Caller:
    return login_as(app, runtime, "staff")


@pytest.fixture
def security(app: Flask, runtime: Runtime) -> Caller:
    return login_as(app, runtime, "security")


@pytest.fixture
def kiosk(app: Flask, runtime: Runtime) -> Caller:
    return device_caller(app, runtime, "kiosk")


@pytest.fixture
def photo_kiosk(app: Flask, runtime: Runtime) -> Caller:
    """A staff-watched kiosk whose liveness check an admin turned off (still photos allowed)."""
    return device_caller(app, runtime, "kiosk", "photo-kiosk", liveness=False)


@pytest.fixture
def faces_dir() -> Path:
    """The shared labelled face photos; skips (saying why) when the folder is absent."""
    if not SHARED_FACES.exists():
        pytest.skip(f"{SHARED_FACES} is absent; the face tests need real photos")
    return SHARED_FACES
