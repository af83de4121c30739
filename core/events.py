"""Domain events: recorded in the transaction that causes them, published after it commits.

A service calls `emit(session, name, payload, rooms)`. The event is written to `domain_event`
in the same transaction (so it exists exactly when the change does, and gets its sequence
number), and once the session commits, every subscriber is called with a `Published` record.
`kiosk_ui` subscribes one relay that emits to Socket.IO rooms; tests can subscribe too.
Rolled-back transactions publish nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, literal, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from core.clock import iso
from models.events import DomainEvent

log = logging.getLogger("summit.events")

_PENDING = "summit_pending_events"


@dataclass(frozen=True)
class Published:
    seq: int
    name: str
    rooms: tuple[str, ...]
    payload: dict[str, Any]
    at: datetime

    def envelope(self) -> dict[str, Any]:
        """What clients receive: the payload plus sequence number, name and time."""
        return {"seq": self.seq, "event": self.name, "at": iso(self.at), "data": self.payload}


Subscriber = Callable[[Published], None]
_subscribers: list[Subscriber] = []
_lock = threading.Lock()


def subscribe(fn: Subscriber) -> Callable[[], None]:
    """Register a subscriber; returns a function that removes it again."""
    with _lock:
        _subscribers.append(fn)

    def _unsubscribe() -> None:
        with _lock:
            if fn in _subscribers:
                _subscribers.remove(fn)

    return _unsubscribe


def emit(session: Session, name: str, payload: dict[str, Any], rooms: list[str]) -> DomainEvent:
    """Record an event inside the caller's transaction; it is published after commit."""
    row = DomainEvent(name=name, rooms=" ".join(sorted(set(rooms))), payload=json.dumps(payload))
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING, []).append(row)
    return row


def _to_published(row: DomainEvent) -> Published:
    return Published(
        seq=row.id,
        name=row.name,
        rooms=tuple(row.rooms.split()),
        payload=json.loads(row.payload),
        at=row.created_at,
    )


@sa_event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending: list[DomainEvent] = session.info.pop(_PENDING, [])
    # Rows added inside a savepoint that was rolled back are transient again: not published.
    for row in (r for r in pending if not sa_inspect(r).transient):
        published = _to_published(row)
        with _lock:
            targets = list(_subscribers)
        for fn in targets:
            try:
                fn(published)
            except Exception:  # a broken subscriber must not undo a committed change
                log.exception("event subscriber failed", extra={"event": published.name})


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def in_rooms(rooms: list[str]) -> ColumnElement[bool]:
    """SQL: the event is addressed to at least one of `rooms` (none: to nobody)."""
    padded = literal(" ") + DomainEvent.rooms + literal(" ")
    return or_(false(), *(padded.contains(f" {room} ", autoescape=True) for room in set(rooms)))


def events_since(
    session: Session, after_seq: int, rooms: list[str], limit: int = 1000
) -> list[Published]:
    """Up to `limit` events after a sequence number addressed to any of `rooms`, oldest first.

    The rooms are filtered in SQL before the limit: filtered after it, a page of other rooms'
    events hid a driver's own (catch-up pages by calling again after the last seq returned).
    """
    rows = session.scalars(
        select(DomainEvent)
        .where(DomainEvent.id > after_seq, in_rooms(rooms))
        .order_by(DomainEvent.id)
        .limit(limit)
    ).all()
    return [_to_published(r) for r in rows]


def was_sent_to(session: Session, seq: int, room: str) -> bool:
    """Whether event `seq` exists and was addressed to `room` (a client can only ack those)."""
    found = session.scalar(select(DomainEvent.id).where(DomainEvent.id == seq, in_rooms([room])))
    return found is not None
