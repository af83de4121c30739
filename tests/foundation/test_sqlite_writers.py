"""SQLite writers of one process queue on a lock; every way a write transaction ends frees it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

import models.db
from core.runtime import Runtime
from models import AuditEntry
from models.db import make_engine, make_session_factory, reading, transaction


def write_one(runtime: Runtime, action: str) -> None:
    with transaction(runtime.sessions) as db:
        db.add(AuditEntry(actor="test", action=action, target="t"))


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.db, "WRITE_WAIT", 2.0)  # a leaked lock fails in 2 s, not 30


def test_commit_rollback_and_invalidation_each_free_the_write_lock(
    runtime: Runtime, short_wait: None
) -> None:
    write_one(runtime, "committed")
    with pytest.raises(ValueError), transaction(runtime.sessions) as db:
        db.add(AuditEntry(actor="test", action="rolled_back", target="t"))
        db.flush()
        raise ValueError("the caller failed half-way")
    db = runtime.sessions()  # a write whose connection is thrown away half-way
    db.add(AuditEntry(actor="test", action="lost", target="t"))
    db.flush()
    db.connection().invalidate()
    db.close()
    worker = threading.Thread(target=write_one, args=(runtime, "after"))
    worker.start()
    worker.join(10)
    write_one(runtime, "last")  # would raise TimeoutError after 2 s if the lock had leaked
    with transaction(runtime.sessions, read_only=True) as db:
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.actor == "test")))
    assert actions == {"committed", "after", "last"}


def test_forty_writers_at_once_all_land_and_readers_never_wait_for_them(
    runtime: Runtime, short_wait: None
) -> None:
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with transaction(runtime.sessions) as db:
            db.add(AuditEntry(actor="test", action="slow", target="t"))
            db.flush()
            holding.set()
            release.wait(10)

    first = threading.Thread(target=slow_writer)
    first.start()
    assert holding.wait(10)
    with transaction(runtime.sessions, read_only=True) as db:  # WAL: a reader goes past
        assert db.scalar(text("SELECT 1")) == 1
    release.set()
    first.join(10)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            write_one(runtime, f"w{i}")
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    with transaction(runtime.sessions, read_only=True) as db:
        count = db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("w%"))
        )
    assert count == 40


def test_queued_writers_hold_no_connection_so_a_reader_is_served(
    runtime: Runtime, short_wait: None
) -> None:
    """Writers wait for the write lock before they take a pooled connection: with a pool of
    two, one writer holding the lock and ten queued behind it, a reader still gets in (when
    queued writers held connections, thirty gates in a rush starved every phone and kiosk)."""
    engine = make_engine(str(runtime.engine.url), pool_size=2, max_overflow=0, pool_timeout=5)
    sessions = make_session_factory(engine)
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with transaction(sessions) as db:
            db.add(AuditEntry(actor="test", action="slow", target="t"))
            db.flush()
            holding.set()
            release.wait(10)

    def writer(i: int) -> None:
        with transaction(sessions) as db:
            db.add(AuditEntry(actor="test", action=f"q{i}", target="t"))

    first = threading.Thread(target=slow_writer)
    first.start()
    assert holding.wait(10)
    queued = [threading.Thread(target=writer, args=(i,)) for i in range(10)]
    for t in queued:
        t.start()
    time.sleep(0.2)  # let them all queue
    read: list[int] = []

    def reader() -> None:
        with transaction(sessions, read_only=True) as db:
            read.append(int(db.scalar(text("SELECT 1")) or 0))

    probe = threading.Thread(target=reader)
    probe.start()
    probe.join(3)
    served = read == [1]
    release.set()  # free the writers whatever happened, then judge
    for t in [first, *queued, probe]:
        t.join(30)
    with transaction(sessions, read_only=True) as db:
        landed = db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("q%"))
        )
    engine.dispose()
    assert served, "the reader waited for a connection held by a queued writer"
    assert landed == 10


def test_a_unit_of_work_that_reads_first_or_never_touches_the_database_frees_the_lock(
    runtime: Runtime, short_wait: None
) -> None:
    with transaction(runtime.sessions):
        pass  # took the lock before any connection, never used it: given back
    with transaction(runtime.sessions) as db, reading(db):
        assert db.scalar(text("SELECT 1")) == 1  # a read first gives the lock back ...
        done = threading.Thread(target=write_one, args=(runtime, "meanwhile"))
        done.start()
        done.join(5)  # ... so another writer is not held up by this reader
        assert not done.is_alive()
    with transaction(runtime.sessions) as outer:
        write_one(runtime, "inner")  # a unit of work inside one that has not written yet
        outer.add(AuditEntry(actor="test", action="outer", target="t"))
    write_one(runtime, "last")  # would time out after 2 s if any path leaked the lock
    with transaction(runtime.sessions, read_only=True) as db:
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.actor == "test")))
    assert {"meanwhile", "inner", "outer", "last"} <= actions
