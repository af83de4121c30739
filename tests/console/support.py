"""Test fixtures for the console: a small venue, and gate passes written as a gate service does.

The gate service (checkin/) may not be there yet; `record_gate_pass` writes the same rows it is
specified to write (AccessEvent, VenueCheckIn, ZonePresence, journey stage) in one transaction
and emits `gate_passed`, so the console is tested against the models, not against one service.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.journey import record_stage
from core.clock import iso, to_local, utcnow
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.venue import AccessEvent, Gate, VenueCheckIn, ZonePresence


def record_gate_pass(
    session: Session, attendee_id: int, gate_id: int, *, granted: bool = True,
    at: datetime | None = None, reason: str = "ok",
) -> AccessEvent:
    """One face scan at a gate: the access event, the day's check-in and presence, the event."""
    at = at or utcnow()
    gate = session.get(Gate, gate_id)
    attendee = session.get(Attendee, attendee_id)
    assert gate is not None and attendee is not None
    event = AccessEvent(
        nonce=uuid.uuid4().hex, gate_id=gate_id, attendee_id=attendee_id, method="face",
        direction=gate.direction, granted=granted, reason=reason, at=at,
    )
    session.add(event)
    session.flush()
    payload = {"attendee_id": attendee_id, "name": mask_name(attendee.name), "gate": gate.code,
               "zone_id": gate.zone_id, "at": iso(at), "reason": reason}
    if not granted:
        emit(session, "gate_denied", payload, ["console", "security", f"zone:{gate.zone_id}"])
        return event
    day = to_local(at).date()
    if session.scalar(select(VenueCheckIn.id).where(
            VenueCheckIn.attendee_id == attendee_id, VenueCheckIn.day == day)) is None:
        session.add(VenueCheckIn(attendee_id=attendee_id, day=day, first_seen=at,
                                 gate_id=gate_id, access_event_id=event.id))
    presence = session.scalar(select(ZonePresence).where(
        ZonePresence.attendee_id == attendee_id, ZonePresence.zone_id == gate.zone_id))
    if presence is None:
        presence = ZonePresence(attendee_id=attendee_id, zone_id=gate.zone_id)
        session.add(presence)
    presence.inside, presence.since = True, at
    record_stage(session, attendee_id, "venue_checked_in", f"gate:{gate_id}", at=at)
    emit(session, "gate_passed", payload, ["console", f"zone:{gate.zone_id}"])
    return event
