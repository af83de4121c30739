"""Rooms short: a kiosk or a plan found no room left; staff must know at once, and only once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import raise_alert
from hotel.errors import RoomsShort
from models.events import Alert
from models.hotel import Hotel, Stay


def shortage_answer(session: Session, stay: Stay, exc: RoomsShort) -> dict[str, Any]:
    """Nothing was assigned (the attempt's savepoint rolled back), but staff must know now.

    Returned, not raised, so that the alert commits; routes answer 409 `rooms_short`.
    """
    hotel = session.get(Hotel, stay.hotel_id)
    note_shortage(session, hotel.code if hotel else "?", exc.details["night"])
    return exc.to_dict()


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
