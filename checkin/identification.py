"""One way to recognise a person at a device: its policy, its place, and a short-lived ticket.

Every place that recognises a person calls this module: venue gates and kiosks, the hotel
kiosk, driver boarding and the speech assistant. It

1. loads the device's policy once (`device_policy`: kind, place, liveness switch);
2. checks that the device may act for this purpose at this place (`require_place`): a kiosk
   passes people only at the gate it is bound to, a hotel desk serves only its hotel;
3. refuses a still photo where the policy needs liveness (`identify_photo` answers
   `liveness_required`; a live camera stream decides instead, see `from_stream`);
4. narrows the face candidates to the purpose's context (the caller's domain knows them:
   the gate's zone, the hotel's expected guests, the trip's riders) and applies the open-set
   rule of `recognition.face`;
5. returns an `Identified` with a signed **identification ticket**: device, attendee, purpose,
   a random id, valid `TICKET_SECONDS`. Follow-up calls (hotel check-in, boarding, personal
   speech answers, a kiosk's journey view) redeem the ticket with `redeem_ticket`, never a
   bare attendee id a device sends. A ticket works only for the device it was issued to, and
   where it grants something it works once (its id is stored in `ticket_use`).

Face work runs before any transaction opens; this module never holds a write lock while dlib
thinks.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.codes import read_code
from checkin.errors import CheckInError
from checkin.registration import masked_view
from checkin.store import insert_ignore
from core.accounts import Principal, place_of
from core.clock import utcnow
from core.errors import Conflict, Forbidden, Unauthorized
from core.runtime import Runtime
from models.attendee import Attendee
from models.auth import Device, TicketUse
from models.db import transaction
from models.hotel import OPEN_STAY_STATES, Stay
from models.venue import CodeUse
from recognition.face.api import FaceStream, StreamDecision, face_service
from recognition.face.decision import Identification

TICKET_SECONDS = 120


@dataclass(frozen=True)
class Purpose:
    """What a device identifies people for: who may ask, and whether it grants something."""

    name: str
    kinds: tuple[str, ...]
    grants: bool  # a grant (entry, key, seat) needs liveness and a single-use ticket


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose("gate", ("gate", "kiosk"), grants=True),
        Purpose("hotel", ("hotel_desk",), grants=True),
        Purpose("boarding", ("driver",), grants=True),
        Purpose("assistant", ("kiosk", "gate", "hotel_desk", "airport_desk"), grants=False),
        Purpose("journey", ("kiosk", "hotel_desk", "airport_desk"), grants=False),
    )
}


@dataclass(frozen=True)
class Policy:
    """A device as the identification service sees it: who, where, and how strictly."""

    device_id: int
    kind: str
    name: str
    liveness_required: bool
    gate_id: int | None = None
    hotel_id: int | None = None
    driver_id: int | None = None

    @property
    def actor(self) -> str:
        return f"device:{self.device_id}"

    @property
    def place(self) -> str:
        """Where the device is bound, as shown to staff ("gate:3", "hotel:2", "unbound")."""
        return place_of(self.gate_id, self.hotel_id, self.driver_id)


@dataclass(frozen=True)
class Identified:
    """The outcome of one identification: whom (or why not), how, and the ticket on success."""

    purpose: str
    method: str  # face | code
    attendee_id: int | None
    failure: str | None = None  # face_unknown, liveness_required, code_expired, ...
    liveness: str = "not_required"  # passed | failed | not_required
    ticket: str | None = None
    identification: Identification | None = None
    code_nonce: str | None = None
    code_expires: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None and self.attendee_id is not None


FACE_FAILURES = {
    "unknown": "face_unknown",
    "ambiguous": "face_ambiguous",
    "no_face": "no_face",
    "multiple_faces": "multiple_faces",
    "low_quality": "low_quality",
    "spoof_suspected": "liveness_failed",
}


# -- policy and place -----------------------------------------------------------------------
def device_policy(session: Session, principal: Principal) -> Policy:
    """The calling device's policy, read fresh (an admin may have changed it a second ago)."""
    if principal.kind != "device":
        raise Forbidden("only devices identify people", "forbidden")
    device = session.get(Device, principal.id)
    if device is None or device.revoked_at is not None:
        raise Unauthorized("this token was revoked", "token_revoked")
    return Policy(
        device.id,
        device.kind,
        device.name,
        bool(device.liveness_required),
        device.gate_id,
        device.hotel_id,
        device.driver_id,
    )


def load_policy(rt: Runtime, principal: Principal) -> Policy:
    """`device_policy` in its own short read transaction."""
    with transaction(rt.sessions, read_only=True) as session:
        return device_policy(session, principal)


def require_place(
    policy: Policy,
    purpose: str,
    *,
    gate_id: int | None = None,
    hotel_id: int | None = None,
) -> None:
    """Refuse a device acting for a purpose it is not for, or somewhere it is not bound."""
    spec = PURPOSES[purpose]
    if policy.kind not in spec.kinds:
        raise Forbidden(
            f"a {policy.kind} device may not identify people for {purpose}", "wrong_device_kind"
        )
    if purpose == "gate":
        _require_bound("gate", policy.gate_id, gate_id, "wrong_gate")
    if purpose == "hotel":
        _require_bound("hotel", policy.hotel_id, hotel_id, "wrong_hotel")
    if purpose == "boarding" and policy.driver_id is None:
        raise Forbidden("this phone is not bound to a driver", "device_not_bound")


def _require_bound(place: str, bound: int | None, asked: int | None, wrong: str) -> None:
    """The device must be bound to a `place`, and to the one asked for (if one was)."""
    if bound is None:
        raise Forbidden(
            f"this device is not bound to a {place}; an admin must bind it first",
            "device_not_bound",
        )
    if asked is not None and asked != bound:
        raise Forbidden(f"this device belongs to another {place}", wrong)


def expected_guests(session: Session, hotel_id: int) -> frozenset[int]:
    """A hotel kiosk's face candidates: attendees with an open stay at that hotel."""
    query = select(Stay.attendee_id).where(
        Stay.hotel_id == hotel_id, Stay.state.in_(OPEN_STAY_STATES)
    )
    return frozenset(session.scalars(query))


# -- identification -------------------------------------------------------------------------
def identify_photo(
    rt: Runtime,
    policy: Policy,
    purpose: str,
    image: bytes,
    candidates: Collection[int] | None,
) -> Identified:
    """Identify a still photo, unless the device's policy needs a live camera stream."""
    if policy.liveness_required:
        return Identified(purpose, "face", None, failure="liveness_required")
    if candidates is not None and not candidates:
        return Identified(purpose, "face", None, failure="face_unknown")
    found = face_service(rt).identify_bytes(image, candidates)
    return _from_identification(rt, policy, purpose, found, "not_required")


def identify_upload(
    rt: Runtime,
    principal: Principal,
    purpose: str,
    image: bytes,
    candidates: Collection[int] | None = None,
) -> dict[str, Any]:
    """`POST /api/recognition/identify`: a photo at a device whose policy allows still photos.

    Devices that need liveness get `liveness_required` (403) and must use the camera stream.
    """
    policy = load_policy(rt, principal)
    require_place(policy, purpose)
    found = identify_photo(rt, policy, purpose, image, candidates)
    if found.failure == "liveness_required":
        raise Forbidden(
            "this device checks liveness: use the live camera, not a still photo",
            "liveness_required",
        )
    with transaction(rt.sessions, read_only=True) as session:
        return answer(session, found)


def verify_photo(rt: Runtime, policy: Policy, purpose: str, image: bytes, attendee_id: int) -> bool:
    """1:1: does this photo show the given attendee? (A second factor beside a code.)"""
    del policy, purpose  # the code already identified the person; the photo only confirms
    found = face_service(rt).identify_bytes(image, candidates=[attendee_id])
    return found.decision == "match" and found.attendee_id == attendee_id


def from_stream(rt: Runtime, policy: Policy, purpose: str, decision: StreamDecision) -> Identified:
    """The decision a live camera stream reached, as an identification with a ticket."""
    if decision.liveness == "failed":
        ident = decision.identification
        return Identified(
            purpose,
            "face",
            ident.attendee_id,
            failure="liveness_failed",
            liveness="failed",
            identification=ident,
        )
    return _from_identification(rt, policy, purpose, decision.identification, decision.liveness)


def identify_code(rt: Runtime, policy: Policy, purpose: str, code: str) -> Identified:
    """Identify an entrance code (signature and validity window; no use is recorded here)."""
    try:
        entrance = read_code(rt, code)
    except CheckInError as exc:
        return Identified(purpose, "code", None, failure=exc.code)
    ticket = issue_ticket(rt, policy, purpose, entrance.attendee_id)
    return Identified(
        purpose,
        "code",
        entrance.attendee_id,
        ticket=ticket,
        code_nonce=entrance.nonce,
        code_expires=entrance.expires,
    )


def record_code_use(session: Session, found: Identified, place: str, at: datetime) -> None:
    """Record an entrance code's first use outside a gate; a second use anywhere is a replay."""
    if found.code_nonce is None or found.attendee_id is None:
        return
    values = {
        "nonce": found.code_nonce,
        "attendee_id": found.attendee_id,
        "gate_id": None,
        "place": place,
        "expires_at": found.code_expires or at,
        "used_at": at,
    }
    if insert_ignore(session, CodeUse, values, ["nonce"]) is None:
        raise Conflict(
            "this entrance code was already used; refresh it on the phone", "code_replayed"
        )


def _from_identification(
    rt: Runtime, policy: Policy, purpose: str, ident: Identification, liveness: str
) -> Identified:
    if ident.decision != "match" or ident.attendee_id is None:
        failure = FACE_FAILURES.get(ident.decision, "face_unknown")
        return Identified(
            purpose, "face", None, failure=failure, liveness=liveness, identification=ident
        )
    ticket = issue_ticket(rt, policy, purpose, ident.attendee_id)
    return Identified(
        purpose,
        "face",
        ident.attendee_id,
        liveness=liveness,
        ticket=ticket,
        identification=ident,
    )


def open_stream(
    rt: Runtime,
    policy: Policy,
    candidates: Collection[int] | None,
    asked: bool | None = None,
) -> FaceStream:
    """A camera stream with the device's liveness policy; a page may ask for more, never less."""
    return face_service(rt).new_stream(policy.liveness_required or bool(asked), candidates)


# -- tickets --------------------------------------------------------------------------------
def _serializer(rt: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.config.secret_key, salt="identification-ticket")


def issue_ticket(rt: Runtime, policy: Policy, purpose: str, attendee_id: int) -> str:
    """A signed ticket: this device identified this attendee for this purpose, just now."""
    payload = {"d": policy.device_id, "a": attendee_id, "p": purpose, "j": secrets.token_hex(12)}
    return str(_serializer(rt).dumps(payload))


@dataclass(frozen=True)
class Ticket:
    """A checked ticket's contents."""

    device_id: int
    attendee_id: int
    purpose: str
    jti: str


def read_ticket(rt: Runtime, token: str, device_id: int, purposes: Collection[str]) -> Ticket:
    """Check a ticket's signature, age, device and purpose (no use is recorded)."""
    if not isinstance(token, str) or not 10 <= len(token) <= 400:
        raise Forbidden("an identification ticket is needed", "ticket_required")
    try:
        data = _serializer(rt).loads(token, max_age=TICKET_SECONDS)
    except SignatureExpired as exc:
        raise Forbidden(
            "the identification timed out; please identify yourself again", "ticket_expired"
        ) from exc
    except BadSignature as exc:
        raise Forbidden("this ticket was not issued by this server", "ticket_invalid") from exc
    if not isinstance(data, dict) or not all(k in data for k in ("d", "a", "p", "j")):
        raise Forbidden("this ticket was not issued by this server", "ticket_invalid")
    if data["d"] != device_id:
        raise Forbidden("this ticket was issued to another device", "ticket_other_device")
    if data["p"] not in purposes:
        raise Forbidden("this ticket was issued for something else", "ticket_wrong_purpose")
    return Ticket(int(data["d"]), int(data["a"]), str(data["p"]), str(data["j"]))


def redeem_ticket(
    session: Session,
    rt: Runtime,
    principal: Principal,
    token: str,
    purposes: Collection[str],
    *,
    single_use: bool,
) -> int:
    """The attendee a ticket names, for the device that holds it; once only if `single_use`.

    The use is recorded in the caller's transaction, so it commits together with what the
    ticket grants (a key, a seat) or not at all.
    """
    ticket = read_ticket(rt, token, principal.id, purposes)
    attendee = session.get(Attendee, ticket.attendee_id)
    if attendee is None or attendee.revoked:
        raise Forbidden("please see the front desk", "attendee_revoked")
    if single_use:
        values = {
            "jti": ticket.jti,
            "device_id": ticket.device_id,
            "attendee_id": ticket.attendee_id,
            "purpose": ticket.purpose,
            "used_at": utcnow(),
        }
        if insert_ignore(session, TicketUse, values, ["jti"]) is None:
            raise Forbidden(
                "this identification was already used; please identify yourself again",
                "ticket_used",
            )
    return ticket.attendee_id


# -- answers --------------------------------------------------------------------------------
def masked_attendee(session: Session, attendee_id: int | None) -> dict[str, Any] | None:
    """The attendee as a device may show them: masked, and only the fields a screen needs."""
    attendee = session.get(Attendee, attendee_id) if attendee_id is not None else None
    if attendee is None:
        return None
    view = masked_view(attendee)
    return {k: view[k] for k in ("id", "ref", "name", "category", "organisation", "language")}


def answer(session: Session, found: Identified) -> dict[str, Any]:
    """An identification as the API returns it: decision, masked attendee, ticket."""
    ident = found.identification
    body: dict[str, Any] = ident.to_dict() if ident is not None else {"decision": "match"}
    body.pop("attendee_id", None)
    if found.failure is not None:
        body["decision"] = _decision_word(found)
    body["purpose"] = found.purpose
    body["method"] = found.method
    body["reason"] = found.failure
    body["liveness"] = found.liveness
    body["attendee"] = masked_attendee(session, found.attendee_id) if found.ok else None
    body["ticket"] = found.ticket if found.ok else None
    body["ticket_seconds"] = TICKET_SECONDS if found.ok else None
    return body


def _decision_word(found: Identified) -> str:
    if found.identification is not None and found.identification.decision != "match":
        return found.identification.decision
    words = {failure: word for word, failure in FACE_FAILURES.items()}
    words.update({"liveness_required": "liveness_required", "liveness_failed": "spoof_suspected"})
    return words.get(found.failure or "", "refused")


__all__ = [
    "PURPOSES",
    "TICKET_SECONDS",
    "Identified",
    "Policy",
    "answer",
    "device_policy",
    "from_stream",
    "identify_code",
    "identify_photo",
    "issue_ticket",
    "load_policy",
    "open_stream",
    "read_ticket",
    "record_code_use",
    "redeem_ticket",
    "require_place",
]
