"""Keeps one process's gallery index in step with the database and with other processes.

Enrolments and deletions are domain events (room "gallery") written in the same transaction
as the template rows, so the event log doubles as the gallery's change log. Before matching,
a process replays gallery events it has not applied yet (a primary-key range query, cheap),
at most every `interval` seconds unless an in-process event marked it dirty. Events are
applied in sequence order and re-applying is harmless, so a short look-back window also
catches events whose transaction committed after a later one. A periodic recount against the
table reloads everything if rows vanished some other way (an attendee deleted with CASCADE).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from core.crypto import KeyRing
from core.events import Published
from models.db import transaction
from models.events import DomainEvent
from models.face import selected_engine
from recognition.face import store
from recognition.face.gallery import GalleryIndex

GALLERY_EVENTS = ("face_enrolled", "faces_deleted", "face_template_removed", "faces_purged")
LOOK_BACK = 500  # event ids: a transaction may commit this many ids after it took its own


class GallerySync:
    """Loads the index at start and replays gallery events from the log before each match."""

    def __init__(
        self,
        index: GalleryIndex,
        sessions: sessionmaker[Session],
        keys: KeyRing,
        interval: float = 1.0,
        recount_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        engine: str | None = None,
    ) -> None:
        self.index, self.sessions, self.keys = index, sessions, keys
        self.engine = engine or selected_engine()  # only this engine's templates are loaded
        self.interval, self.recount_every, self.clock = interval, recount_every, clock
        self.seq = 0
        self._seen: set[int] = set()
        self._dirty = True
        self._checked = self._recounted = float("-inf")
        self._lock = threading.Lock()

    def load(self, progress: bool = True) -> int:
        """Read and decrypt every template into the index; returns how many were loaded."""
        with self._lock, transaction(self.sessions, read_only=True) as db:
            seq = int(db.scalar(select(func.max(DomainEvent.id))) or 0)
            total = store.count_templates(db, engine=self.engine)
            rows = list(
                tqdm(
                    store.iter_templates(db, self.keys, engine=self.engine),
                    total=total,
                    unit="face",
                    desc="face gallery",
                    disable=not progress or None,
                    leave=False,
                )
            )
            self.index.replace_all(rows)
            self.seq, self._seen = seq, set()
            self._recounted = self._checked = self.clock()
            self._dirty = False
            return len(rows)

    def on_event(self, event: Published) -> None:
        """In-process subscriber: a gallery event means the next match must refresh first."""
        if event.name in GALLERY_EVENTS:
            self._dirty = True

    def refresh(self) -> None:
        """Apply gallery events this process has not seen (throttled unless marked dirty).

        One thread refreshes at a time; while it does, other matches use the index as it is
        (at most `interval` seconds behind) instead of queueing behind it, unless an event in
        this process marked it dirty (then they wait, so an enrolment here is seen at once).
        Each refresh reads only the events since the last one's end (less LOOK_BACK), however
        busy the event log is with other kinds of events.
        """
        now = self.clock()
        if not self._dirty and now - self._checked < self.interval:
            return
        if not self._lock.acquire(blocking=self._dirty):
            return  # another thread is refreshing right now
        try:
            with transaction(self.sessions, read_only=True) as db:
                self._dirty = False
                self._checked = now
                top = int(db.scalar(select(func.max(DomainEvent.id))) or 0)
                events = db.execute(
                    select(DomainEvent.id, DomainEvent.name, DomainEvent.payload)
                    .where(
                        DomainEvent.id > self.seq - LOOK_BACK,
                        DomainEvent.id <= top,
                        DomainEvent.name.in_(GALLERY_EVENTS),
                    )
                    .order_by(DomainEvent.id)
                ).all()
                fresh = [e for e in events if e.id not in self._seen]
                if fresh:
                    self._apply(db, fresh)
                self._advance(top)
        finally:
            self._lock.release()
        if now - self._recounted >= self.recount_every:
            self._recount()

    def _advance(self, top: int) -> None:
        """Everything up to `top` was read: the next refresh starts there (less LOOK_BACK)."""
        self.seq = max(self.seq, top)
        self._seen = {s for s in self._seen if s > self.seq - LOOK_BACK}

    def _apply(self, db: Session, events: list) -> None:  # type: ignore[type-arg]
        payloads = [(e.id, e.name, json.loads(e.payload)) for e in events]
        wanted = [int(p["template_id"]) for _, n, p in payloads if n == "face_enrolled"]
        loaded = {
            t: (a, v)
            for t, a, v in store.iter_templates(db, self.keys, ids=wanted, engine=self.engine)
        }
        for event_id, name, payload in payloads:
            if name == "face_enrolled" and int(payload["template_id"]) in loaded:
                owner, vector = loaded[int(payload["template_id"])]
                self.index.add(int(payload["template_id"]), owner, vector)
            elif name == "faces_deleted":
                self.index.remove_attendee(int(payload["attendee_id"]))
            elif name == "face_template_removed":
                self.index.remove_template(int(payload["template_id"]))
            elif name == "faces_purged":
                self.index.replace_all([])
            self._seen.add(event_id)

    def _recount(self) -> None:
        with transaction(self.sessions, read_only=True) as db:
            stored = store.count_templates(db, engine=self.engine)
        self._recounted = self.clock()
        if stored != len(self.index):
            self.load(progress=False)
