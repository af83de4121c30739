"""SQLite writers of one process queue on a lock; every way a write transaction ends frees it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

import models.db
from core.runtime import Runtime
from models import AuditEntry
from models.db import transaction


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


def test_a_reader_is_served_while_thirty_writers_queue_for_the_write_lock(
    runtime: Runtime, short_wait: None
) -> None:
    """Queued writers hold pooled connections while they wait: the pool must leave readers
    some (with SQLAlchemy's default 5 + 10, a phone's read waited behind a gate rush)."""
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
    queued = [threading.Thread(target=write_one, args=(runtime, f"q{i}")) for i in range(30)]
    for t in queued:
        t.start()
    read: list[int] = []

    def reader() -> None:
        with transaction(runtime.sessions, read_only=True) as db:
            read.append(int(db.scalar(text("SELECT 1")) or 0))

    probe = threading.Thread(target=reader)
    probe.start()
    probe.join(3)
    served = read == [1]
    release.set()  # free the writers whatever happened, then judge
    first.join(10)
    for t in queued:
        t.join(30)
    probe.join(30)
    assert served, "the reader waited for a connection held by a queued writer"
