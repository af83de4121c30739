"""The lobby kiosk: who is this (face or entrance code), then check in or out on a ticket.

Identification and the action are two requests so that a guest sees their reservation and
confirms before anything changes (nobody is checked out by walking past the camera). The
ticket binds the stay, the action and the kiosk, is signed with the server's secret key, and
lives for three minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import RecognitionError, SummitError
from core.runtime import Runtime
from hotel import service
from hotel.errors import HotelConflict, HotelInvalid, TicketError
from hotel.keys import KeyMaker
from models.attendee import Attendee
from models.db import transaction
from models.hotel import Stay

TICKET_SECONDS = 180
ACTIONS = {"reserved": "check_in", "checked_in": "check_out"}


def _serializer(rt: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.config.secret_key, salt="hotel-kiosk-ticket")


def identify_guest(
    rt: Runtime,
    hotel_id: int,
    device_id: int,
    *,
    image: bytes | None,
    code: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Find the guest by face or entrance code; return their reservation and a ticket.

    This use case writes nothing and opens its own short read transactions: the face engine
    takes its own sessions, and half a second of dlib work must not hold SQLite's write lock.
    """
    if (image is None) == (code is None):
        raise HotelInvalid("send either a face image or an entrance code", "no_identity")
    attendee_id = _by_face(rt, hotel_id, image) if image is not None else _by_code(rt, code or "")
    with transaction(rt.sessions) as session:
        attendee = session.get(Attendee, attendee_id)
        if attendee is None or attendee.revoked:
            raise HotelConflict("please see the front desk", "attendee_revoked")
        stay = service.find_stay(session, attendee_id, hotel_id, now)
        action = ACTIONS.get(stay.state)
        if action is None:
            service.require_state(stay, tuple(ACTIONS))
        view = service.reservation_view(session, stay)
    ticket = _serializer(rt).dumps({"d": device_id, "s": stay.id, "a": action})
    return {"ticket": ticket, "action": action, "reservation": view}


def _by_face(rt: Runtime, hotel_id: int, image: bytes) -> int:
    from recognition.face.api import face_service

    with transaction(rt.sessions) as session:
        candidates = set(
            session.scalars(
                select(Stay.attendee_id).where(
                    Stay.hotel_id == hotel_id, Stay.state.in_(tuple(ACTIONS))
                )
            )
        )
    if not candidates:
        raise RecognitionError("no guest is expected at this hotel", "face_not_recognised")
    found = face_service(rt).identify_bytes(image, candidates=candidates)
    if found.decision != "match" or found.attendee_id is None:
        raise RecognitionError(
            "we could not recognise you; use your entrance code or see the front desk",
            "face_not_recognised",
            decision=found.decision,
        )
    return found.attendee_id


def _by_code(rt: Runtime, code: str) -> int:
    from checkin.codes import verify_code

    try:
        return verify_code(rt, code)
    except SummitError as exc:  # code_malformed, code_forged, code_expired, ...
        raise HotelInvalid(exc.message, exc.code) from exc


def read_ticket(rt: Runtime, ticket: str, device_id: int, action: str) -> int:
    """The stay id a ticket was issued for, if it is ours, fresh, for this kiosk and action."""
    try:
        data = _serializer(rt).loads(ticket, max_age=TICKET_SECONDS)
    except SignatureExpired as exc:
        raise TicketError("the session timed out; please start again", "ticket_expired") from exc
    except BadSignature as exc:
        raise TicketError("this ticket was not issued here", "ticket_invalid") from exc
    if not isinstance(data, dict) or data.get("d") != device_id or data.get("a") != action:
        raise TicketError("this ticket was not issued for this action here", "ticket_invalid")
    stay_id = data.get("s")
    if not isinstance(stay_id, int):
        raise TicketError("this ticket was not issued here", "ticket_invalid")
    return stay_id


def kiosk_check_in(
    session: Session, rt: Runtime, hotel_id: int, device_id: int, ticket: str, *, now: datetime
) -> dict[str, Any]:
    """Check in the guest a ticket names (see `service.check_in_guest`)."""
    return _on_ticket(
        rt,
        ticket,
        device_id,
        "check_in",
        lambda stay_id: service.check_in_guest(
            session,
            KeyMaker.from_runtime(rt),
            stay_id,
            f"device:{device_id}",
            now=now,
            hotel_id=hotel_id,
        ),
    )


def kiosk_check_out(
    session: Session, rt: Runtime, hotel_id: int, device_id: int, ticket: str, *, now: datetime
) -> dict[str, Any]:
    """Check out the guest a ticket names (see `service.check_out_guest`)."""
    return _on_ticket(
        rt,
        ticket,
        device_id,
        "check_out",
        lambda stay_id: service.check_out_guest(
            session, stay_id, f"device:{device_id}", now=now, hotel_id=hotel_id
        ),
    )


def _on_ticket(
    rt: Runtime,
    ticket: str,
    device_id: int,
    action: str,
    run: Callable[[int], dict[str, Any]],
) -> dict[str, Any]:
    return run(read_ticket(rt, ticket, device_id, action))
