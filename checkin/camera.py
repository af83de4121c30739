"""Per-connection camera state on "/live": the device's policy, its face stream, its candidates.

One map (Socket.IO session id -> `Camera`) and one way out of it, `forget`: the page's
`camera_stop`, the socket's disconnect (`web.live.on_disconnect`) and idle expiry all call it.

A camera's policy and candidates (whom its purpose lets it recognise: the people the gate's zone
admits now, the guests expected at the hotel, anyone enrolled for the assistant) are read when
it opens and read again, with a new stream, before the first frame of the next person after a
decision; after an enrolment, face deletion or registration is published in this process; and
at the latest every `CANDIDATE_TTL` seconds (zone rules and agenda windows change with the clock,
other server processes publish their own events).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from checkin import gatepass
from checkin.camera_presence import Presence
from checkin.identification import (
    Policy,
    expected_guests,
    load_policy,
    open_stream,
    require_place,
)
from checkin.opening import attendees_today
from checkin.service import load_gate
from core.accounts import Principal
from core.clock import utcnow
from core.events import Published, subscribe
from core.runtime import Runtime
from models.db import transaction
from models.hotel import Hotel
from recognition.face.api import FaceStream
from recognition.face.engine import Face

REPEAT_SECONDS = 60.0  # a stream outcome repeating the last one within this is not recorded
CANDIDATE_TTL = 30.0  # seconds before a waiting camera reads its candidates again
IDLE = 600.0  # seconds after which a silent connection's camera is dropped
REFRESH_EVENTS = frozenset(
    {"face_enrolled", "faces_deleted", "faces_purged", "attendee_registered"}
)


@dataclass
class Camera:
    """One connection's camera: what for, where, under which policy, and its face stream."""

    principal: Principal
    purpose: str
    asked_gate: int | None  # the gate the page named (None: the device's own)
    policy: Policy
    gate_id: int | None
    stream: FaceStream
    generation: int
    read_at: float = field(default_factory=time.monotonic)
    busy: threading.Lock = field(default_factory=threading.Lock)
    hold_until: float = 0.0
    decisions: int = 0
    used: float = field(default_factory=time.monotonic)
    presence: Presence | None = None  # the person last decided for, while still in view
    last: Repeat | None = None  # the last recorded decision, against repeats

    def stale(self, now: float) -> bool:
        """Whether policy and candidates must be read again before the next frame."""
        return self.generation != _generation or now - self.read_at > CANDIDATE_TTL


@dataclass(frozen=True)
class Repeat:
    """The last decision a camera recorded: for whom (or why nobody), when, and its answer."""

    attendee_id: int | None
    failure: str | None
    at: float
    out: dict[str, Any]

    def same(self, attendee_id: int | None, failure: str | None, now: float) -> bool:
        """Whether a new stream outcome repeats this one (same person, or same failure)."""
        if now - self.at > REPEAT_SECONDS:
            return False
        if attendee_id is not None:
            return attendee_id == self.attendee_id
        return self.attendee_id is None and failure == self.failure


_cameras: dict[str, Camera] = {}
_lock = threading.Lock()
_generation = 0
_unsubscribe: Callable[[], None] | None = None


def watch_candidates() -> None:
    """Subscribe (once per process) to the events after which candidates are read again."""
    global _unsubscribe
    with _lock:
        if _unsubscribe is None:
            _unsubscribe = subscribe(_on_event)


def _on_event(event: Published) -> None:
    global _generation
    if event.name in REFRESH_EVENTS:
        with _lock:
            _generation += 1


def camera_for(
    rt: Runtime, sid: str, principal: Principal, purpose: str, gate_id: int | None
) -> Camera:
    """This connection's camera for the purpose; opened (and checked) when new or changed."""
    now = time.monotonic()
    with _lock:
        cam = _cameras.get(sid)
    if cam is None or (cam.purpose, cam.asked_gate) != (purpose, gate_id):
        cam = _open(rt, principal, purpose, gate_id)
        with _lock:
            for old in [k for k, c in _cameras.items() if now - c.used > IDLE]:
                del _cameras[old]
            _cameras[sid] = cam
    cam.used = now
    return cam


def _open(rt: Runtime, principal: Principal, purpose: str, gate_id: int | None) -> Camera:
    generation = _generation
    policy, place, candidates = _read(rt, principal, purpose, gate_id)
    stream = open_stream(rt, policy, candidates)
    return Camera(principal, purpose, gate_id, policy, place, stream, generation)


def refresh_if_stale(rt: Runtime, cam: Camera) -> None:
    """Read the policy and candidates again and start a new stream, if they may have changed.

    Call it holding `cam.busy`: the stream is replaced.
    """
    now = time.monotonic()
    if not cam.stale(now):
        return
    generation = _generation
    cam.policy, cam.gate_id, candidates = _read(rt, cam.principal, cam.purpose, cam.asked_gate)
    cam.stream = open_stream(rt, cam.policy, candidates)
    cam.generation, cam.read_at = generation, now


def decided(
    cam: Camera, hold_seconds: float, face: Face | None = None, code: str | None = None
) -> None:
    """Follow the person decided for until they leave; the next person gets fresh candidates.

    Frames are held for `hold_seconds` first (the person walks on, nothing is computed).
    """
    cam.decisions += 1
    cam.hold_until = time.monotonic() + hold_seconds
    cam.presence = Presence(cam.hold_until, face=face, code=code)
    cam.read_at = float("-inf")


def recorded(
    cam: Camera, attendee_id: int | None, failure: str | None, out: dict[str, Any]
) -> None:
    """Remember a recorded gate decision, so that a repeat of it is answered, not recorded."""
    cam.last = Repeat(attendee_id, failure, time.monotonic(), out)


def forget(sid: str) -> None:
    """Drop a connection's camera (camera_stop, disconnect)."""
    with _lock:
        _cameras.pop(sid, None)


def active() -> int:
    """How many connections hold a camera in this process."""
    with _lock:
        return len(_cameras)


def _read(
    rt: Runtime, principal: Principal, purpose: str, gate_id: int | None
) -> tuple[Policy, int | None, frozenset[int] | None]:
    """The device's policy, checked for the purpose and place, with the face candidates."""
    policy = load_policy(rt, principal)
    require_place(policy, purpose, gate_id=gate_id)
    # require_place refused an unbound device, so the place is known for gate and hotel.
    if purpose == "gate" and policy.gate_id is not None:
        now = gatepass.candidates_for_gate(rt, policy.gate_id, cached=False)
        with transaction(rt.sessions, read_only=True) as session:
            later = attendees_today(session, load_gate(session, policy.gate_id)[1], utcnow())
        return policy, policy.gate_id, now | later
    if purpose == "hotel" and policy.hotel_id is not None:
        # Guests of every hotel: one of another hotel is then told which (wrong_hotel).
        with transaction(rt.sessions, read_only=True) as session:
            hotels = session.scalars(select(Hotel.id)).all()
            return policy, None, frozenset().union(*(expected_guests(session, h) for h in hotels))
    return policy, None, None  # assistant, journey: anyone enrolled
