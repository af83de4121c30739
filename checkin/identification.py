"""Identification as a device asks for it: candidates narrowed by context, masked answers.

Shrinking N matters as much as the threshold: at 1:N the chance of some false match grows
about N times, so a gate device only searches the attendees its zone admits now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from checkin.registration import masked_view
from core.accounts import Principal
from core.runtime import Runtime
from models.attendee import Attendee
from models.auth import Device
from models.db import transaction
from recognition.face.api import FaceStream, StreamDecision, face_service
from recognition.face.decision import Identification


def candidates_for(rt: Runtime, principal: Principal) -> frozenset[int] | None:
    """Attendee ids a device may recognise (None: everyone with a template).

    A gate searches only the attendees its zone admits now (checkin's zone rules, cached
    briefly per gate by checkin.gatepass); other devices search the whole gallery.
    """
    if principal.gate_id is None:
        return None
    from checkin.gatepass import candidates_for_gate  # checkin builds on this package

    return candidates_for_gate(rt, principal.gate_id)


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
    candidates = candidates_for(rt, principal)
    # Matching runs outside any transaction: it must never hold a database connection.
    ident = face_service(rt).identify_bytes(image_bytes, candidates)
    with transaction(rt.sessions, read_only=True) as db:
        return answer(db, ident)


def open_stream(rt: Runtime, principal: Principal, asked: bool | None) -> FaceStream:
    """A camera stream for a device; a device may ask for more liveness, never for less."""
    with transaction(rt.sessions, read_only=True) as db:
        required = liveness_required(db, principal)
    return face_service(rt).new_stream(required or bool(asked), candidates_for(rt, principal))


def stream_answer(rt: Runtime, decision: StreamDecision) -> dict[str, Any]:
    """A stream's decision as sent to the kiosk: masked attendee, liveness, frame count."""
    with transaction(rt.sessions, read_only=True) as db:
        body = answer(db, decision.identification)
    return {**body, "liveness": decision.liveness, "frames": decision.frames}
