"""The watch list security staff maintain: a hit at a gate stops the person, calls a supervisor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.errors import CheckInError
from core.audit import audit
from core.clock import iso
from core.errors import NotFound
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.venue import WatchlistEntry


def _view(entry: WatchlistEntry, attendee: Attendee) -> dict[str, Any]:
    return {
        "id": entry.id,
        "attendee_id": attendee.id,
        "name": mask_name(attendee.name),
        "reason": entry.reason,
        "added_by": entry.added_by,
        "active": entry.active,
        "since": iso(entry.created_at),
    }


def add_to_watchlist(session: Session, attendee_id: int, reason: str, actor: str) -> dict[str, Any]:
    """Put an attendee on the watch list (or re-activate their entry) with a reason; audited."""
    reason = reason.strip()
    if not 5 <= len(reason) <= 500:
        raise CheckInError("give a reason of 5 to 500 characters", "reason_required")
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    entry = session.scalar(select(WatchlistEntry).where(WatchlistEntry.attendee_id == attendee_id))
    if entry is None:
        entry = WatchlistEntry(attendee_id=attendee_id, reason=reason, added_by=actor)
        session.add(entry)
    else:
        entry.reason, entry.added_by, entry.active = reason, actor, True
    session.flush()
    audit(session, actor, "watchlist_added", f"attendee:{attendee_id}", reason)
    emit(session, "watchlist_changed", _view(entry, attendee), ["security"])
    return _view(entry, attendee)


def remove_from_watchlist(session: Session, attendee_id: int, reason: str, actor: str) -> None:
    """Deactivate an attendee's entry (kept for the record); audited."""
    entry = session.scalar(select(WatchlistEntry).where(WatchlistEntry.attendee_id == attendee_id))
    if entry is None or not entry.active:
        raise NotFound(f"attendee {attendee_id} is not on the watch list", "not_on_watchlist")
    entry.active = False
    audit(session, actor, "watchlist_removed", f"attendee:{attendee_id}", reason.strip())
    attendee = session.get(Attendee, attendee_id)
    assert attendee is not None  # the entry's foreign key guarantees it
    emit(session, "watchlist_changed", _view(entry, attendee), ["security"])


def list_watchlist(session: Session) -> list[dict[str, Any]]:
    """Active entries, masked, newest first."""
    rows = session.execute(
        select(WatchlistEntry, Attendee)
        .join(Attendee, Attendee.id == WatchlistEntry.attendee_id)
        .where(WatchlistEntry.active.is_(True))
        .order_by(WatchlistEntry.id.desc())
    ).all()
    return [_view(entry, attendee) for entry, attendee in rows]


def is_watched(session: Session, attendee_id: int) -> bool:
    """True when the attendee has an active watch-list entry."""
    return bool(
        session.scalar(
            select(WatchlistEntry.id).where(
                WatchlistEntry.attendee_id == attendee_id, WatchlistEntry.active.is_(True)
            )
        )
    )


def watched_ids(session: Session) -> list[int]:
    """Ids of everyone on the active watch list (for offline gate bundles)."""
    return list(
        session.scalars(select(WatchlistEntry.attendee_id).where(WatchlistEntry.active.is_(True)))
    )
