"""What supervisors and staff do at gates: override a refusal, undo a mistaken pass (audited)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from checkin import presence
from checkin.errors import CheckInConflict, CheckInError
from checkin.service import (
    Claim,
    Decision,
    decision_of,
    finish_event,
    load_gate,
    replayed_decision,
    reserve_event,
)
from core.audit import audit
from core.clock import utcnow
from core.errors import NotFound
from core.events import emit
from models.attendee import Attendee, JourneyStep
from models.venue import AccessEvent, VenueCheckIn

UNDO_WINDOW = timedelta(minutes=10)


def override_pass(
    session: Session, gate_id: int, attendee_id: int, nonce: str, reason: str, actor: str
) -> Decision:
    """A supervisor lets an attendee through (after a watch-list hit, say); reason audited."""
    if not 5 <= len(reason.strip()) <= 500:
        raise CheckInError("give a reason of 5 to 500 characters", "reason_required")
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    gate, zone = load_gate(session, gate_id)
    at = utcnow()
    event = reserve_event(session, gate, nonce, "override", actor, None, at, False)
    if event is None:
        return replayed_decision(session, gate, nonce)
    if gate.direction == "in":
        presence.enter(session, attendee_id, gate, event.id, at, force=True)
    else:
        presence.leave(session, attendee_id, gate, at)
    audit(session, actor, "gate_override", f"attendee:{attendee_id}@gate:{gate.id}", reason.strip())
    claim = Claim("override", attendee_id, note=reason.strip())
    return finish_event(session, event, gate, zone, claim, "override")


def undo_pass(session: Session, event_id: int, reason: str, actor: str) -> Decision:
    """Staff undo a granted pass within UNDO_WINDOW: presence and check-in revert; audited."""
    event = session.get(AccessEvent, event_id)
    if event is None:
        raise NotFound(f"no access event {event_id}", "event_not_found")
    if not 5 <= len(reason.strip()) <= 500:
        raise CheckInError("give a reason of 5 to 500 characters", "reason_required")
    if not event.granted or event.undone_at is not None:
        raise CheckInConflict(
            "only a granted pass that is not undone can be undone", "not_undoable"
        )
    if utcnow() - event.recorded_at > UNDO_WINDOW:
        raise CheckInConflict("passes can be undone only within 10 minutes", "undo_window_passed")
    _revert(session, event)
    event.undone_at = utcnow()
    audit(session, actor, "gate_pass_undone", f"access_event:{event.id}", reason.strip())
    decision = decision_of(session, event)
    emit(session, "gate_pass_undone", {**decision.to_dict(), "by": actor}, ["console"])
    return decision


def _revert(session: Session, event: AccessEvent) -> None:
    gate, _zone = load_gate(session, event.gate_id)
    assert event.attendee_id is not None  # granted passes always name someone
    if gate.direction == "out":
        presence.set_inside(session, event.attendee_id, gate.zone_id, utcnow())
        return
    presence.set_outside(session, event.attendee_id, gate.zone_id, utcnow())
    session.execute(delete(VenueCheckIn).where(VenueCheckIn.access_event_id == event.id))
    session.execute(delete(JourneyStep).where(JourneyStep.detail == f"access_event:{event.id}"))
