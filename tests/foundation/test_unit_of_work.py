"""A unit of work reads without the write lock only when its caller says so, on every path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from core.runtime import Runtime
from models import AuditEntry
from models.db import reading, transaction
from tests.conftest import Caller
from web.api import unit_of_work
from web.extensions import socketio


def sqlite_path(runtime: Runtime) -> str:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("these tests are about SQLite's write lock")
    path = runtime.engine.url.database
    assert path
    return path


def can_take_write_lock(runtime: Runtime) -> bool:
    """Whether another connection gets SQLite's write lock (BEGIN IMMEDIATE) within 0.2 s."""
    conn = sqlite3.connect(sqlite_path(runtime), timeout=0.2, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        conn.close()


@contextmanager
def write_lock_held_elsewhere(runtime: Runtime) -> Iterator[None]:
    """Another connection holds the write lock (a writer in another process) during the block."""
    conn = sqlite3.connect(sqlite_path(runtime), timeout=1, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_read_only_unit_of_work_leaves_the_write_lock_to_others(
    app: Flask, runtime: Runtime
) -> None:
    with app.test_request_context("/api/console/summary"):
        with unit_of_work(read_only=True) as db:
            db.execute(text("SELECT count(*) FROM attendee"))
            assert can_take_write_lock(runtime)
        with unit_of_work() as db:
            db.execute(text("SELECT count(*) FROM attendee"))
            assert not can_take_write_lock(runtime)
    assert can_take_write_lock(runtime)


def test_a_get_is_not_guessed_to_be_read_only(app: Flask, runtime: Runtime) -> None:
    with app.test_request_context("/api/gates/1/bundle", method="GET"), unit_of_work() as db:
        db.execute(text("SELECT 1"))
        assert not can_take_write_lock(runtime)  # a GET may write (the bundle audits)


def test_a_write_inside_a_read_only_unit_of_work_fails_and_stores_nothing(
    app: Flask, runtime: Runtime
) -> None:
    refused = pytest.raises(OperationalError, match="readonly")
    with app.test_request_context("/"), refused, unit_of_work(read_only=True) as db:
        db.add(AuditEntry(actor="test", action="probe"))
        db.flush()
    with transaction(runtime.sessions) as db:  # the same pooled connection writes again
        db.add(AuditEntry(actor="test", action="after"))
    with transaction(runtime.sessions, read_only=True) as db:
        assert db.scalars(select(AuditEntry.action)).all() == ["after"]


def test_reading_refuses_a_session_with_work_of_the_caller_pending(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        db.add(AuditEntry(actor="test", action="pending"))
        db.flush()
        with pytest.raises(RuntimeError, match="no open transaction"), reading(db):
            pass
    with runtime.sessions() as db:
        assert db.scalar(select(func.count(AuditEntry.id))) == 1


def test_socket_connect_and_catch_up_read_while_another_process_writes(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    with write_lock_held_elsewhere(runtime):
        client = socketio.test_client(app, namespace="/live", flask_test_client=staff.client)
        assert client.is_connected("/live")
        answer = client.emit("catch_up", {"after": 0}, namespace="/live", callback=True)
    assert answer["ok"] is True
    client.disconnect(namespace="/live")


def test_a_read_only_transaction_refuses_writes_on_postgres(pg_runtime: Runtime) -> None:
    refused = pytest.raises(DBAPIError, match="read-only")
    with refused, transaction(pg_runtime.sessions, read_only=True) as db:
        db.add(AuditEntry(actor="test", action="probe"))
        db.flush()
    with transaction(pg_runtime.sessions) as db:
        db.add(AuditEntry(actor="test", action="after"))
    with transaction(pg_runtime.sessions, read_only=True) as db:
        assert db.scalars(select(AuditEntry.action)).all() == ["after"]
