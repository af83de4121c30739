"""A pass at a gate from what its device sent: an entrance code, a photo, or a stream decision.

Face work (decode, detect, encode) runs before the decision's transaction opens, so a gate
never holds a database write lock while dlib thinks. Faces are matched only against the
attendees allowed in the gate's zone now (context shrinks 1:N), cached for a few seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from checkin.codes import read_code
from checkin.errors import CheckInError
from checkin.rules import allowed_attendee_ids
from checkin.service import Claim, Decision, decide_pass, load_gate
from core.clock import utcnow
from core.runtime import Runtime
from models.db import transaction

CANDIDATE_TTL = 5.0  # seconds a zone's candidate list is reused
FACE_FAILURES = {
    "unknown": "face_unknown",
    "ambiguous": "face_ambiguous",
    "no_face": "no_face",
    "multiple_faces": "multiple_faces",
    "low_quality": "low_quality",
    "spoof_suspected": "liveness_failed",
}


@dataclass(frozen=True)
class Device:
    """The calling device as the service needs it: actor string, id, liveness switch."""

    actor: str
    device_id: int | None
    liveness_required: bool


_cache_lock = threading.Lock()


def candidates_for_gate(rt: Runtime, gate_id: int, at: datetime | None = None) -> frozenset[int]:
    """Attendees allowed in the gate's zone now (the face candidates), briefly cached."""
    now = time.monotonic()
    with _cache_lock:
        cache: dict[int, tuple[float, frozenset[int]]] = rt.extensions.setdefault(
            "checkin.candidates", {}
        )
        hit = cache.get(gate_id)
    if hit and now - hit[0] < CANDIDATE_TTL and at is None:
        return hit[1]
    with transaction(rt.sessions, read_only=True) as db:
        _gate, zone = load_gate(db, gate_id)
        ids = frozenset(allowed_attendee_ids(db, zone, at or utcnow()))
    with _cache_lock:
        cache[gate_id] = (now, ids)
    return ids


def code_claim(rt: Runtime, code: str) -> Claim:
    """A claim from an entrance code: the attendee, or the code's refusal reason."""
    try:
        entrance = read_code(rt, code)
    except CheckInError as exc:
        return Claim("code", failure=exc.code)
    return Claim(
        "code", entrance.attendee_id, code_nonce=entrance.nonce, code_expires=entrance.expires
    )


def face_claim(decision: str, attendee_id: int | None, liveness: str, note: str = "") -> Claim:
    """A claim from a face identification (and the stream's liveness verdict)."""
    if liveness == "failed":
        return Claim("face", attendee_id, failure="liveness_failed", note=note)
    if decision == "match" and attendee_id is not None:
        return Claim("face", attendee_id, note=note)
    return Claim("face", failure=FACE_FAILURES.get(decision, "face_unknown"), note=note)


def _note(distance: float | None, margin: float | None) -> str:
    parts = [
        f"distance={distance:.3f}" if distance is not None else "",
        f"margin={margin:.3f}" if margin is not None else "",
    ]
    return " ".join(p for p in parts if p)


def pass_by_code(
    rt: Runtime, gate_id: int, nonce: str, code: str, device: Device, image: bytes | None = None
) -> Decision:
    """Pass with an entrance code; with a photo too, the face must match the code's holder 1:1."""
    claim = code_claim(rt, code)
    if image is not None and claim.attendee_id is not None:
        from recognition.face.api import face_service

        result = face_service(rt).identify_bytes(image, candidates=[claim.attendee_id])
        if result.decision != "match":
            claim = Claim(
                "code",
                claim.attendee_id,
                failure="face_mismatch",
                note=_note(result.distance, None),
            )
    return _decide(rt, gate_id, nonce, claim, device)


def pass_by_face(rt: Runtime, gate_id: int, nonce: str, image: bytes, device: Device) -> Decision:
    """Pass with one photo (kiosks; gates that need liveness must use the camera stream)."""
    if device.liveness_required:
        claim = Claim("face", failure="liveness_required")
        return _decide(rt, gate_id, nonce, claim, device)
    from recognition.face.api import face_service

    result = face_service(rt).identify_bytes(image, candidates_for_gate(rt, gate_id))
    claim = face_claim(
        result.decision, result.attendee_id, "not_required", _note(result.distance, result.margin)
    )
    return _decide(rt, gate_id, nonce, claim, device)


def pass_by_stream(rt: Runtime, gate_id: int, nonce: str, claim: Claim, device: Device) -> Decision:
    """Record the decision a camera stream reached (see checkin.events)."""
    return _decide(rt, gate_id, nonce, claim, device)


def _decide(rt: Runtime, gate_id: int, nonce: str, claim: Claim, device: Device) -> Decision:
    with transaction(rt.sessions) as db:
        return decide_pass(db, gate_id, nonce, claim, device.actor, device.device_id)
