"""Ways to make gate traffic in console tests.

`pass_with_code` goes through the real gate API (checkin/) of a live server, as a gate does.
`record_gate_pass` writes the same rows directly (AccessEvent, VenueCheckIn, ZonePresence, the
journey stage) and emits `gate_passed`/`gate_denied`: it makes traffic the gate rules would
refuse (80 passes in five minutes, markup in names) and shows the console counts whatever
service wrote the rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.codes import issue_code
from checkin.journey import record_stage
from core.accounts import create_device
from core.clock import iso, to_local, utcnow
from core.events import emit
from core.masking import mask_name
from core.runtime import Runtime
from models.attendee import Attendee
from models.db import transaction
from models.venue import AccessEvent, Gate, VenueCheckIn, ZonePresence


def record_gate_pass(
    session: Session,
    attendee_id: int,
    gate_id: int,
    *,
    granted: bool = True,
    at: datetime | None = None,
    reason: str = "ok",
) -> AccessEvent:
    """One face scan at a gate: the access event, the day's check-in and presence, the event."""
    at = at or utcnow()
    gate = session.get(Gate, gate_id)
    attendee = session.get(Attendee, attendee_id)
    assert gate is not None and attendee is not None
    event = AccessEvent(
        nonce=uuid.uuid4().hex,
        gate_id=gate_id,
        attendee_id=attendee_id,
        method="face",
        direction=gate.direction,
        granted=granted,
        reason=reason,
        at=at,
    )
    session.add(event)
    session.flush()
    payload = {
        "attendee_id": attendee_id,
        "name": mask_name(attendee.name),
        "gate": gate.code,
        "zone_id": gate.zone_id,
        "at": iso(at),
        "reason": reason,
    }
    if not granted:
        emit(session, "gate_denied", payload, ["console", "security", f"zone:{gate.zone_id}"])
        return event
    day = to_local(at).date()
    if (
        session.scalar(
            select(VenueCheckIn.id).where(
                VenueCheckIn.attendee_id == attendee_id, VenueCheckIn.day == day
            )
        )
        is None
    ):
        session.add(
            VenueCheckIn(
                attendee_id=attendee_id,
                day=day,
                first_seen=at,
                gate_id=gate_id,
                access_event_id=event.id,
            )
        )
    presence = session.scalar(
        select(ZonePresence).where(
            ZonePresence.attendee_id == attendee_id, ZonePresence.zone_id == gate.zone_id
        )
    )
    if presence is None:
        presence = ZonePresence(attendee_id=attendee_id, zone_id=gate.zone_id)
        session.add(presence)
    presence.inside, presence.since = True, at
    record_stage(session, attendee_id, "venue_checked_in", f"gate:{gate_id}", at=at)
    emit(session, "gate_passed", payload, ["console", f"zone:{gate.zone_id}"])
    return event


def gate_token(runtime: Runtime, gate_id: int, name: str = "gate-G1") -> str:
    """Register a gate device for `gate_id` and return its bearer token."""
    with transaction(runtime.sessions) as db:
        _device, token = create_device(db, name, "gate", "test", gate_id=gate_id)
    return token


def pass_with_code(base: str, runtime: Runtime, token: str, gate_id: int, attendee_id: int) -> Any:
    """Send one entrance-code scan to the gate API of a live server, as a gate does."""
    code = issue_code(runtime, attendee_id)
    res = requests.post(
        f"{base}/api/gates/{gate_id}/pass",
        json={"method": "code", "nonce": uuid.uuid4().hex, "code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert res.status_code == 200, res.text
    return res.json()
