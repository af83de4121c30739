"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite gets WAL, a busy timeout and foreign keys, and every writing transaction starts with
`BEGIN IMMEDIATE` so two writers never both hold a read lock and then deadlock on upgrade.
A transaction opened read-only (`transaction(..., read_only=True)`, `reading(session)`) takes
no write lock on SQLite and is `READ ONLY` on PostgreSQL; on both a write inside it fails
at once instead of silently taking a lock (see docs/architecture.md, "Transactions").
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and transaction mode this system relies on."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    _configure_postgres(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below), not the driver's deferred BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers take no write lock, so many kiosks can read at once; writers start with the
        # write lock so two of them never deadlock upgrading from a read lock. `query_only`
        # makes a write in a reader fail loudly rather than try to upgrade its lock.
        read_only = bool(conn.get_execution_options().get(READ_ONLY))
        if conn.info.get(READ_ONLY, False) != read_only:  # a per-connection flag: set on change
            conn.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
            conn.info[READ_ONLY] = read_only
        if _claim_early(writer):  # taken by `transaction` before checkout
            if read_only:
                writer.release()  # the unit of work reads first: others write meanwhile
            else:
                conn.info[WRITER] = True  # handed to this connection, released at check-in
        if read_only:
            conn.exec_driver_sql("BEGIN")
            return
        # Writers of this process queue on a lock for SQLite's single write lock: woken the
        # moment it is free, instead of SQLite's busy handler polling with sleeps that grow to
        # 100 ms (under a gate rush that made a few passes wait seconds while others went by).
        # Held from BEGIN until the connection goes back to the pool (right after COMMIT or
        # ROLLBACK for sessions) or is thrown away. `transaction` takes it before the session
        # checks out its connection, so queued writers hold no connection while they wait.
        if not conn.info.get(WRITER):
            if not writer.acquire(timeout=WRITE_WAIT):
                raise TimeoutError(f"the database stayed busy for {WRITE_WAIT:.0f} s")
            conn.info[WRITER] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _returned(_dbapi_conn: Any, record: Any, *_rest: Any) -> None:
        if record.info.pop(WRITER, False):
            writer.release()

    writer = threading.Lock()
    _WRITERS[engine] = writer
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "invalidate", _returned)


WRITER = "summit_writer"  # this connection holds the process's SQLite write lock
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_early = threading.local()  # .lock: the write lock this thread took before its connection
WRITE_WAIT = 30.0  # seconds, as SQLite's own busy timeout


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # The driver opens the transaction with this statement; it then refuses writes.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


READ_ONLY = "summit_read_only"


@contextmanager
def transaction(factory: sessionmaker[Session], read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `read_only=True` is for work that only reads: on SQLite it starts a deferred transaction
    that takes no write lock (others keep writing meanwhile), on PostgreSQL a READ ONLY one.
    A write inside it fails. Nothing infers it: the caller says so.
    """
    session = factory()
    early = None if read_only else _take_write_lock(session)
    try:
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if early is not None and _claim_early(early):
            early.release()  # the unit of work never used the database
        session.close()


def _claim_early(lock: threading.Lock) -> bool:
    """Is `lock` the write lock this thread's unit of work took before its connection, not
    yet claimed? Then it is the caller's now: the first BEGIN adopts or gives it back, and
    `transaction` releases it when no BEGIN came."""
    if getattr(_early, "lock", None) is not lock:
        return False
    _early.lock = None
    return True


def _take_write_lock(session: Session) -> threading.Lock | None:
    """On SQLite, wait for the process's write lock *before* the session takes a pooled
    connection (the first BEGIN adopts it), so writers queued behind a gate rush hold no
    connection and readers never wait for one. None on PostgreSQL, or when this thread
    already took it for an enclosing unit of work that has not used it yet."""
    bind = session.get_bind()
    lock = _WRITERS.get(bind) if isinstance(bind, Engine) else None
    if lock is None or getattr(_early, "lock", None) is not None:
        return None
    if not lock.acquire(timeout=WRITE_WAIT):
        session.close()
        raise TimeoutError(f"the database stayed busy for {WRITE_WAIT:.0f} s")
    _early.lock = lock
    return lock


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """A short read-only transaction on `session`, ended (released) when the block ends.

    For services that read, work without any transaction open (a solver), then write in the
    session's next transaction. The session must have no transaction open: pending work of the
    caller is never committed behind its back.
    """
    if session.in_transaction():
        raise RuntimeError("reading() needs a session with no open transaction; commit first")
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
