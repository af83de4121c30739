"""The lobby kiosk: who is this (live camera, entrance code or, at a watched desk, a photo),
then check in or out on the identification ticket.

Identification and the action are two requests so that a guest sees their reservation and
confirms before anything changes (nobody is checked out by walking past the camera). Both go
through `checkin.identification`: the desk's policy and binding are read fresh on every call,
a still photo is refused where the desk checks liveness (the default), an entrance code is
spent like a gate scan (a code used at a gate, or here, is a replay), and the action redeems
a single-use identification ticket issued to this desk for purpose "hotel" in the same
transaction as the key it grants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from checkin import identification
from checkin.identification import Identified, Policy
from core.accounts import Principal
from core.errors import Forbidden, RecognitionError
from core.runtime import Runtime
from hotel import service
from hotel.errors import HotelConflict, HotelInvalid
from hotel.keys import KeyMaker
from models.attendee import Attendee
from models.db import transaction

PURPOSE = "hotel"
ACTIONS = {"reserved": "check_in", "checked_in": "check_out"}
CODE_MESSAGES = {
    "code_expired": "the entrance code has expired; refresh it on the phone",
    "code_not_yet_valid": "the entrance code is not valid yet",
    "code_forged": "this entrance code was not issued by the summit",
}


def desk_hotel(policy: Policy, principal: Principal) -> int:
    """The hotel this desk serves; refuses other devices and desks not bound to it."""
    identification.require_place(policy, PURPOSE, hotel_id=principal.hotel_id)
    assert policy.hotel_id is not None  # require_place refuses an unbound desk
    return policy.hotel_id


def identify_guest(
    rt: Runtime,
    principal: Principal,
    *,
    ticket: str | None = None,
    code: str | None = None,
    image: bytes | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Find the guest by live-camera ticket, entrance code or photo; return their reservation.

    Face work runs before any transaction opens. Only an entrance code writes (its use), in the
    same short transaction that reads the reservation, so a refusal spends nothing.
    """
    if sum(x is not None for x in (ticket, code, image)) != 1:
        raise HotelInvalid("send one of a ticket, an entrance code or a photo", "no_identity")
    policy = identification.load_policy(rt, principal)
    hotel_id = desk_hotel(policy, principal)
    if ticket is not None:
        found = _by_ticket(rt, policy, ticket)
    elif code is not None:
        found = _by_code(rt, policy, code)
    else:
        found = _by_photo(rt, policy, hotel_id, image or b"")
    return _answer(rt, found, hotel_id, now)


def _answer(rt: Runtime, found: Identified, hotel_id: int, now: datetime) -> dict[str, Any]:
    """The reservation of an identified guest, with the ticket for the action it offers."""
    assert found.attendee_id is not None and found.ticket is not None
    with transaction(rt.sessions, read_only=found.code_nonce is None) as session:
        identification.record_code_use(session, found, f"hotel:{hotel_id}", now)
        attendee = session.get(Attendee, found.attendee_id)
        if attendee is None or attendee.revoked:
            raise HotelConflict("please see the front desk", "attendee_revoked")
        # Raises wrong_hotel (naming it) for a guest identified here who sleeps elsewhere.
        stay = service.find_stay(session, found.attendee_id, hotel_id, now)
        action = ACTIONS.get(stay.state)
        if action is None:
            service.require_state(stay, tuple(ACTIONS))
        view = service.reservation_view(session, stay)
    return {
        "ticket": found.ticket,
        "ticket_seconds": identification.TICKET_SECONDS,
        "action": action,
        "reservation": view,
    }


def _by_ticket(rt: Runtime, policy: Policy, ticket: str) -> Identified:
    """The live camera stream (or an earlier identify) named the guest to this desk."""
    read = identification.read_ticket(rt, ticket, policy.device_id, [PURPOSE])
    return Identified(PURPOSE, "ticket", read.attendee_id, ticket=ticket)


def _by_code(rt: Runtime, policy: Policy, code: str) -> Identified:
    found = identification.identify_code(rt, policy, PURPOSE, code)
    if not found.ok:
        failure = found.failure or "code_malformed"
        message = CODE_MESSAGES.get(failure, "this is not a summit entrance code")
        raise HotelInvalid(message, failure)
    return found


def _by_photo(rt: Runtime, policy: Policy, hotel_id: int, image: bytes) -> Identified:
    """A still photo, at a staff-watched desk only; matched among this hotel's guests."""
    with transaction(rt.sessions, read_only=True) as session:
        candidates = identification.expected_guests(session, hotel_id)
    found = identification.identify_photo(rt, policy, PURPOSE, image, candidates)
    if found.failure == "liveness_required":
        raise Forbidden(
            "this desk checks liveness: look at the live camera, or use your entrance code",
            "liveness_required",
        )
    if not found.ok:
        ident = found.identification
        raise RecognitionError(
            "we could not recognise you; use your entrance code or see the front desk",
            "face_not_recognised",
            decision=ident.decision if ident is not None else "unknown",
        )
    return found


def kiosk_check_in(
    session: Session, rt: Runtime, principal: Principal, ticket: str, *, now: datetime
) -> dict[str, Any]:
    """Check in the guest an identification ticket names (see `service.check_in_guest`)."""
    hotel_id, stay_id = _redeem(session, rt, principal, ticket, now)
    keys = KeyMaker.from_runtime(rt)
    return service.check_in_guest(
        session, keys, stay_id, principal.actor, now=now, hotel_id=hotel_id
    )


def kiosk_check_out(
    session: Session, rt: Runtime, principal: Principal, ticket: str, *, now: datetime
) -> dict[str, Any]:
    """Check out the guest an identification ticket names (see `service.check_out_guest`)."""
    hotel_id, stay_id = _redeem(session, rt, principal, ticket, now)
    return service.check_out_guest(session, stay_id, principal.actor, now=now, hotel_id=hotel_id)


def _redeem(
    session: Session, rt: Runtime, principal: Principal, ticket: str, now: datetime
) -> tuple[int, int]:
    """(hotel id, stay id) for a ticket, spent in the caller's transaction: a refusal that
    follows (already checked in, wrong hotel) rolls the use back with everything else."""
    hotel_id = desk_hotel(identification.device_policy(session, principal), principal)
    attendee_id = identification.redeem_ticket(
        session, rt, principal, ticket, [PURPOSE], single_use=True
    )
    return hotel_id, service.find_stay(session, attendee_id, hotel_id, now).id
