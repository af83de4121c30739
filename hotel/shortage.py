"""Rooms short: a kiosk or a plan found no room left; staff must know at once, and only once.

A shortage is an error (`RoomsShort`, 409 `rooms_short`, nothing assigned) that leaves one
durable trace, the `hotel_rooms_short` alert. `refuse` stores the alert and raises; the older
`shortage_answer` returns the error's envelope as a result instead, for callers that have
not moved to `refuse` yet (hotel.service: assign_room, check_in_guest, assign_arrivals).
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import raise_alert
from hotel.errors import RoomsShort
from models.events import Alert
from models.hotel import Hotel, Stay


def refuse(session: Session, stay: Stay, exc: RoomsShort) -> NoReturn:
    """Store the shortage alert, then raise `exc`: nothing was assigned, but staff know now.

    The attempt's savepoint has rolled back; the alert is committed here, before raising, so
    the caller's rollback cannot take it too. The caller must have nothing else pending (a bulk
    caller catches `RoomsShort` per stay and goes on in the session's next transaction).
    """
    _note(session, stay, exc)
    session.commit()
    raise exc


def shortage_answer(session: Session, stay: Stay, exc: RoomsShort) -> dict[str, Any]:
    """The error's envelope as a result, so that the alert commits with the caller's work.

    Kept for callers not yet moved to `refuse`; routes answer the result with 409.
    """
    _note(session, stay, exc)
    return exc.to_dict()


def _note(session: Session, stay: Stay, exc: RoomsShort) -> None:
    hotel = session.get(Hotel, stay.hotel_id)
    note_shortage(session, hotel.code if hotel else "?", exc.details["night"])


def note_shortage(session: Session, hotel_code: str, night: str, short: int | None = None) -> None:
    """Raise a `hotel_rooms_short` alert once per hotel and night until staff acknowledge it."""
    message = f"{hotel_code}: rooms short for the night of {night}"
    if short:
        message += f" ({short} rooms)"
    seen = session.scalar(
        select(Alert.id).where(
            Alert.kind == "hotel_rooms_short",
            Alert.message.startswith(f"{hotel_code}: rooms short for the night of {night}"),
            Alert.acknowledged_by.is_(None),
        )
    )
    if seen is None:
        raise_alert(session, "hotel_rooms_short", message, severity="critical")
