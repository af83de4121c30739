"""No-show release: reservations nobody claimed by the cut-off give their rooms back, audited."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.alerts import raise_alert
from core.audit import audit
from core.clock import to_local
from core.events import emit
from hotel import allocation
from hotel.allocation import changed
from hotel.clock import no_show_deadline
from models.hotel import Hotel, Stay


def due_no_shows(session: Session, now: datetime) -> list[Stay]:
    """Reserved stays whose hotel's no-show cut-off has passed at `now`."""
    local_now = to_local(now).replace(tzinfo=None)
    hotels = {h.id: h for h in session.scalars(select(Hotel))}
    stays = session.scalars(
        select(Stay)
        .where(Stay.state == "reserved", Stay.check_in_date < local_now.date())
        .order_by(Stay.id)
    ).all()
    return [
        s
        for s in stays
        if no_show_deadline(s.check_in_date, hotels[s.hotel_id].no_show_cutoff_hour) <= local_now
    ]


def release_no_shows(session: Session, now: datetime, actor: str) -> dict[str, Any]:
    """Mark unclaimed reservations as no-shows and free their rooms; one alert per hotel."""
    released: Counter[int] = Counter()
    for stay in due_no_shows(session, now):
        claimed = changed(
            session,
            update(Stay)
            .where(Stay.id == stay.id, Stay.state == "reserved")
            .values(state="no_show")
            .execution_options(synchronize_session=False),
        )
        if claimed != 1:  # checked in at the last moment, or released by another run
            continue
        nights = allocation.release(session, stay, stay.check_in_date)
        session.execute(update(Stay).where(Stay.id == stay.id).values(room_id=None))
        audit(
            session,
            actor,
            "hotel_no_show_released",
            f"stay:{stay.id}",
            f"not checked in by the cut-off; {nights} room-nights freed",
        )
        released[stay.hotel_id] += 1
    return _announce(session, released, actor)


def _announce(session: Session, released: Counter[int], actor: str) -> dict[str, Any]:
    by_hotel: dict[str, int] = {}
    for hotel_id, count in sorted(released.items()):
        hotel = session.get(Hotel, hotel_id)
        assert hotel
        by_hotel[hotel.code] = count
        raise_alert(
            session, "hotel_no_shows", f"{hotel.code}: {count} no-show reservations released"
        )
        emit(
            session,
            "hotel_no_shows_released",
            {"hotel_id": hotel_id, "hotel": hotel.code, "count": count, "by": actor},
            ["console"],
        )
    return {"released": sum(released.values()), "by_hotel": by_hotel}
