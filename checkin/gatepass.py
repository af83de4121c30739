"""A pass at a gate from what its device sent: an entrance code, a photo, or a stream decision.

The device's policy and place come from `checkin.identification`: `gate_policy` refuses a
device that is not bound to this gate (`device_not_bound`, `wrong_gate`) before anything is
stored; a still photo at a device that checks liveness is the recorded denial
`liveness_required`. Face work (decode, detect, encode) runs before the decision's transaction
opens, so a gate never holds a database write lock while dlib thinks. Faces are matched only
against the attendees allowed in the gate's zone now (context shrinks 1:N).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from checkin.identification import (
    Identified,
    Policy,
    identify_code,
    identify_photo,
    load_policy,
    require_place,
    verify_photo,
)
from checkin.rules import allowed_attendee_ids
from checkin.service import Claim, Decision, decide_pass, load_gate
from core.accounts import Principal
from core.clock import utcnow
from core.runtime import Runtime
from models.db import transaction
from recognition.face.update import offer_photo

CANDIDATE_TTL = 5.0  # seconds a zone's candidate list is reused by still-photo passes

_cache_lock = threading.Lock()


def gate_policy(rt: Runtime, principal: Principal, gate_id: int | None) -> Policy:
    """The calling device's policy, refused unless the device may pass people at this gate."""
    policy = load_policy(rt, principal)
    require_place(policy, "gate", gate_id=gate_id)
    return policy


def candidates_for_gate(
    rt: Runtime, gate_id: int, at: datetime | None = None, *, cached: bool = True
) -> frozenset[int]:
    """Attendees allowed in the gate's zone now (the face candidates), briefly cached."""
    now = time.monotonic()
    with _cache_lock:
        cache: dict[int, tuple[float, frozenset[int]]] = rt.extensions.setdefault(
            "checkin.candidates", {}
        )
        hit = cache.get(gate_id)
    if cached and hit and now - hit[0] < CANDIDATE_TTL and at is None:
        return hit[1]
    with transaction(rt.sessions, read_only=True) as db:
        _gate, zone = load_gate(db, gate_id)
        ids = frozenset(allowed_attendee_ids(db, zone, at or utcnow()))
    with _cache_lock:
        cache[gate_id] = (now, ids)
    return ids


def claim_of(found: Identified, note: str = "") -> Claim:
    """The gate's claim from an identification: the attendee, or why they could not be named."""
    return Claim(
        found.method,
        found.attendee_id,
        failure=found.failure,
        code_nonce=found.code_nonce,
        code_expires=found.code_expires,
        note=note,
    )


def _note(found: Identified) -> str:
    ident = found.identification
    if ident is None:
        return ""
    parts = [
        f"distance={ident.distance:.3f}" if ident.distance is not None else "",
        f"margin={ident.margin:.3f}" if ident.margin is not None else "",
    ]
    return " ".join(p for p in parts if p)


def pass_by_code(
    rt: Runtime, policy: Policy, gate_id: int, nonce: str, code: str, image: bytes | None = None
) -> Decision:
    """Pass with an entrance code; with a photo too, the face must match the code's holder 1:1."""
    found = identify_code(rt, policy, "gate", code)
    claim = claim_of(found)
    holder = found.attendee_id if found.ok else None
    mismatch = (
        image is not None
        and holder is not None
        and not verify_photo(rt, policy, "gate", image, holder)
    )
    if mismatch:
        claim = Claim("code", holder, failure="face_mismatch", note="1:1 no match")
    decision = decide(rt, policy, gate_id, nonce, claim)
    if decision.granted and image is not None and holder is not None:
        offer_photo(rt, holder, image, f"gate:{gate_id}")  # a template update where allowed
    return decision


def pass_by_face(rt: Runtime, policy: Policy, gate_id: int, nonce: str, image: bytes) -> Decision:
    """Pass with one photo: only where the device's liveness check is off (staff watch it).

    Elsewhere the photo is refused as `liveness_required` (recorded): use the camera stream.
    """
    candidates = None if policy.liveness_required else candidates_for_gate(rt, gate_id)
    found = identify_photo(rt, policy, "gate", image, candidates)
    return decide(rt, policy, gate_id, nonce, claim_of(found, _note(found)))


def decide(rt: Runtime, policy: Policy, gate_id: int, nonce: str, claim: Claim) -> Decision:
    """Decide and record the pass in its own transaction (idempotent by nonce)."""
    with transaction(rt.sessions) as db:
        return decide_pass(db, gate_id, nonce, claim, policy.actor, policy.device_id)
