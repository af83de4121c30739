"""Rooms short: a kiosk or a plan found no room left; staff must know at once, and only once.

A shortage is an error (`RoomsShort`, 409 `rooms_short`, nothing assigned) that leaves one
durable trace, the `hotel_rooms_short` alert: `refuse` stores the alert and raises.
"""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import raise_alert
from hotel.errors import RoomsShort
from models.events import Alert
from models.hotel import Hotel, Stay


def refuse(session: Session, stay: Stay, exc: RoomsShort) -> NoReturn:
    """Store the shortage alert, then raise `exc`: nothing was assigned, but staff know now.

    The caller's pending work is rolled back first, as the error would have it rolled back
    anyway (a kiosk's spent ticket, the stay's lock): only the alert is committed, in its own
    short transaction, so the caller's rollback cannot take it too. A bulk caller that wants
    its earlier work kept commits it before each attempt (`hotel.service.assign_arrivals`).
    """
    hotel_id = stay.hotel_id  # read before the rollback expires the stay
    session.rollback()
    hotel = session.get(Hotel, hotel_id)
    note_shortage(session, hotel.code if hotel else "?", exc.details["night"])
    session.commit()
    raise exc


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
        hotel = session.scalar(select(Hotel).where(Hotel.code == hotel_code))
        params = {  # the hotel in both languages: screens word the alert in the viewer's
            "hotel_zh": hotel.name_zh if hotel else hotel_code,
            "hotel_en": hotel.name_en if hotel else hotel_code,
            "night": night,
        }
        raise_alert(session, "hotel_rooms_short", message, severity="critical", params=params)
