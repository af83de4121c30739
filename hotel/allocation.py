"""Room allocation that cannot double-book, on SQLite and PostgreSQL alike.

Nothing here relies on `SELECT ... FOR UPDATE` (SQLite ignores it). Three things do the work:
1. the stays of a sharing pair are locked lead-first (the lower id) by a no-op UPDATE, so two
   kiosks serving the two partners at once take turns instead of assigning two rooms;
2. block counters rise only through `UPDATE ... SET used = used + 1 WHERE used < allotment`;
3. the `room_night` ledger is unique per (room, night, bed) and per (stay, night): when two
   kiosks pick the same free room, the second INSERT fails, its savepoint is rolled back (which
   also undoes its counter increments) and it tries again, avoiding that room.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotel.errors import HotelConflict, RoomsShort
from models.hotel import Room, RoomBlock, RoomNight, Stay

MAX_ATTEMPTS = 25
CANDIDATES = 8  # pick at random among the first few free rooms to spread concurrent kiosks


@dataclass(frozen=True)
class Occupants:
    """Who moves into the room: the stay itself and, when sharing, its partner (bed 2)."""

    lead_id: int
    stay_ids: tuple[int, ...]  # bed order: bed 1 first


def occupants(session: Session, stay: Stay) -> Occupants:
    """The stays that share a room with `stay` (its partner only if dates and state agree)."""
    partner = session.get(Stay, stay.partner_id) if stay.partner_id else None
    if (
        partner is None
        or partner.state not in ("reserved", "checked_in")
        or (partner.check_in_date, partner.check_out_date)
        != (stay.check_in_date, stay.check_out_date)
    ):
        return Occupants(stay.id, (stay.id,))
    ids = tuple(sorted((stay.id, partner.id)))
    return Occupants(ids[0], ids)


def changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE/DELETE and return how many rows it changed (the conditional's verdict)."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def lock_stay(session: Session, stay_id: int) -> None:
    """Take the row lock of a stay (PostgreSQL); SQLite already serialises writers."""
    session.execute(update(Stay).where(Stay.id == stay_id).values(room_id=Stay.room_id))


def current_room(session: Session, stay_id: int) -> int | None:
    """The stay's room as committed now (not the possibly stale ORM copy)."""
    return session.scalar(select(Stay.room_id).where(Stay.id == stay_id))


def allocate(session: Session, stay: Stay, nights: list[date], room_id: int | None = None) -> int:
    """Give `stay` (and its sharing partner) a room for `nights`; returns the room id."""
    who = occupants(session, stay)
    lock_stay(session, who.lead_id)
    assigned = current_room(session, stay.id)
    if assigned is not None:
        return assigned
    tried: set[int] = set()
    for _ in range(MAX_ATTEMPTS):
        chosen: list[int] = []
        try:
            with session.begin_nested():
                _take_room(session, stay, who, nights, room_id, tried, chosen)
            return chosen[0]
        except IntegrityError as exc:
            if room_id is not None:
                raise HotelConflict("that room is already taken", "room_taken") from exc
            tried.update(chosen)
    raise HotelConflict("could not find a free room; try again", "allocation_contended")


def _take_room(
    session: Session,
    stay: Stay,
    who: Occupants,
    nights: list[date],
    room_id: int | None,
    tried: set[int],
    chosen: list[int],
) -> None:
    # Counters first: on PostgreSQL the UPDATE waits for a kiosk that holds the same block,
    # and the free-room read that follows then sees that kiosk's committed rooms, so two
    # kiosks rarely pick the same room (the unique ledger still decides when they do).
    blocks = [_count_against_block(session, stay, night) for night in nights]
    candidate = room_id or _pick_free_room(session, stay, nights, tried)
    if candidate is None:
        raise RoomsShort("no room of this type is free in the hotel", nights[0].isoformat())
    chosen.append(candidate)
    claimed = changed(
        session,
        update(Stay)
        .where(Stay.id.in_(who.stay_ids), Stay.room_id.is_(None))
        .values(room_id=candidate)
        .execution_options(synchronize_session=False),
    )
    if claimed != len(who.stay_ids):
        # Only possible if a partner was given another room by hand.
        raise HotelConflict("the sharing partner already has another room", "partner_has_room")
    rows = [
        {"room_id": candidate, "night": night, "bed": bed, "stay_id": sid, "block_id": block_id}
        for night, block_id in zip(nights, blocks, strict=True)
        for bed, sid in enumerate(who.stay_ids, start=1)
    ]
    # One multi-row INSERT (not executemany: psycopg's pipeline would log noise when the
    # unique ledger refuses a row and the savepoint rolls back).
    session.execute(insert(RoomNight).values(rows))


def _pick_free_room(
    session: Session, stay: Stay, nights: list[date], tried: set[int]
) -> int | None:
    busy = exists().where(RoomNight.room_id == Room.id, RoomNight.night.in_(nights))
    query = (
        select(Room.id)
        .where(
            Room.hotel_id == stay.hotel_id,
            Room.room_type_id == stay.room_type_id,
            Room.out_of_order.is_(False),
            ~busy,
        )
        .order_by(Room.floor, Room.number)
        .limit(CANDIDATES + len(tried))
    )
    free = [r for r in session.scalars(query) if r not in tried]
    return random.choice(free[:CANDIDATES]) if free else None


def _count_against_block(session: Session, stay: Stay, night: date) -> int:
    """Raise the first block with room left: the stay's category sub-block, then the general one."""
    for category in dict.fromkeys((stay.block_category, "")):
        block_id = session.scalar(
            select(RoomBlock.id).where(
                RoomBlock.room_type_id == stay.room_type_id,
                RoomBlock.night == night,
                RoomBlock.category == category,
            )
        )
        if block_id is None:
            continue
        raised = changed(
            session,
            update(RoomBlock)
            .where(RoomBlock.id == block_id, RoomBlock.used < RoomBlock.allotment)
            .values(used=RoomBlock.used + 1)
            .execution_options(synchronize_session=False),
        )
        if raised == 1:
            return block_id
    day = night.isoformat()
    raise RoomsShort(f"the room block is full for the night of {day}", day)


def release(session: Session, stay: Stay, from_night: date) -> int:
    """Free the stay's bed from `from_night` on; a room-night left empty goes back to its block."""
    lock_stay(session, occupants(session, stay).lead_id)
    held = session.execute(
        select(RoomNight.room_id, RoomNight.night, RoomNight.block_id).where(
            RoomNight.stay_id == stay.id, RoomNight.night >= from_night
        )
    ).all()
    session.execute(
        delete(RoomNight).where(RoomNight.stay_id == stay.id, RoomNight.night >= from_night)
    )
    for room_id, night, block_id in held:
        others = session.scalar(
            select(func.count(RoomNight.id)).where(
                RoomNight.room_id == room_id, RoomNight.night == night
            )
        )
        if not others:
            session.execute(
                update(RoomBlock)
                .where(RoomBlock.id == block_id, RoomBlock.used > 0)
                .values(used=RoomBlock.used - 1)
                .execution_options(synchronize_session=False)
            )
    return len(held)
