"""Identification as a device asks for it: candidates narrowed by context, masked answers.

Shrinking N matters as much as the threshold: at 1:N the chance of some false match grows
about N times. A gate device only searches attendees whose category may enter its zone and
who are not revoked; the candidate list is cached briefly per gate so a busy gate does not
query the attendee table for every face.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.registration import masked_view
from core.accounts import Principal
from core.runtime import Runtime
from models.attendee import Attendee
from models.auth import Device
from models.db import transaction
from models.venue import Gate, Zone
from recognition.face.api import FaceStream, StreamDecision, face_service
from recognition.face.decision import Identification

CANDIDATE_TTL = 10.0
_cache: dict[tuple[int, int], tuple[float, frozenset[int]]] = {}
_lock = threading.Lock()


def candidates_for(session: Session, principal: Principal) -> frozenset[int] | None:
    """Attendee ids a device may recognise (None: everyone with a template)."""
    if principal.gate_id is None:
        return None
    key = (id(session.get_bind()), principal.gate_id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CANDIDATE_TTL:
            return hit[1]
    zone = session.scalar(
        select(Zone).join(Gate, Gate.zone_id == Zone.id).where(Gate.id == principal.gate_id)
    )
    categories = [c.strip() for c in (zone.categories if zone else "").split(",") if c.strip()]
    ids = frozenset(
        session.scalars(
            select(Attendee.id).where(
                Attendee.category.in_(categories),
                Attendee.revoked.is_(False),
                Attendee.consent_face.is_(True),
            )
        ).all()
    )
    with _lock:
        _cache[key] = (now, ids)
    return ids


def liveness_required(session: Session, principal: Principal) -> bool:
    """The device's liveness switch (on unless an admin turned it off)."""
    device = session.get(Device, principal.id) if principal.kind == "device" else None
    return True if device is None else bool(device.liveness_required)


def answer(session: Session, ident: Identification) -> dict[str, Any]:
    """The identification as the API returns it: the attendee masked, and only on a match."""
    body = ident.to_dict()
    body.pop("attendee_id", None)
    body["attendee"] = None
    if ident.decision == "match" and ident.attendee_id is not None:
        attendee = session.get(Attendee, ident.attendee_id)
        if attendee is not None:
            view = masked_view(attendee)
            body["attendee"] = {
                k: view[k] for k in ("id", "ref", "name", "category", "organisation", "language")
            }
    return body


def identify_upload(rt: Runtime, principal: Principal, image_bytes: bytes) -> dict[str, Any]:
    """Identify an uploaded photo for a device: its candidates, the rule, a masked answer."""
    with transaction(rt.sessions, read_only=True) as db:
        candidates = candidates_for(db, principal)
    # Matching runs outside any transaction: it must never hold a database connection.
    ident = face_service(rt).identify_bytes(image_bytes, candidates)
    with transaction(rt.sessions, read_only=True) as db:
        return answer(db, ident)


def open_stream(rt: Runtime, principal: Principal, asked: bool | None) -> FaceStream:
    """A camera stream for a device; a device may ask for more liveness, never for less."""
    with transaction(rt.sessions, read_only=True) as db:
        required = liveness_required(db, principal)
        candidates = candidates_for(db, principal)
    return face_service(rt).new_stream(required or bool(asked), candidates)


def stream_answer(rt: Runtime, decision: StreamDecision) -> dict[str, Any]:
    """A stream's decision as sent to the kiosk: masked attendee, liveness, frame count."""
    with transaction(rt.sessions, read_only=True) as db:
        body = answer(db, decision.identification)
    return {**body, "liveness": decision.liveness, "frames": decision.frames}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
