"""Many hotel kiosks checking in at once against a nearly full block, on SQLite and PostgreSQL.

Each of 14 single stays is attempted by two kiosks at once (identical attendees), and the two
partners of a shared twin room by two more, all released together by a barrier. The block has
room for 8 more king rooms. Whatever the interleaving: no room-night holds two stays that are
not partners, no stay is checked in twice, the counters equal the ledger, and every attempt
ends in a success, `already_checked_in` or `rooms_short`, never a crash or a deadlock.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from core.errors import SummitError
from core.runtime import Runtime
from hotel import service
from hotel.keys import KeyMaker
from models import RoomBlock, RoomNight, Stay
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, NIGHTS, local, make_hotel, make_stay, pair

SINGLES = 14
FREE_IN_BLOCK = 8


def scenario(rt: Runtime) -> tuple[list[int], list[int]]:
    """A hotel with 12 king rooms but a block of 10, two of them already taken."""
    with transaction(rt.sessions) as db:
        hotel = make_hotel(db, rooms={"KING": 12, "TWIN": 2}, allotment={"KING": 10, "TWIN": 2})
        people = [make_attendee(db, rt.pii).id for _ in range(SINGLES + 4)]
        taken = [make_stay(db, p, hotel).id for p in people[:2]]
        singles = [make_stay(db, p, hotel).id for p in people[2 : 2 + SINGLES]]
        a, b = (make_stay(db, p, hotel, "TWIN") for p in people[-2:])
        pair(db, a, b)
        partners = [a.id, b.id]
    keys = KeyMaker.from_runtime(rt)
    for stay_id in taken:
        with transaction(rt.sessions) as db:
            service.check_in_guest(db, keys, stay_id, "setup", now=local(ARRIVAL, 15))
    return singles, partners


def attempt(rt: Runtime, stay_id: int, start: threading.Barrier, out: list[Any]) -> None:
    keys = KeyMaker.from_runtime(rt)
    start.wait()
    try:
        with transaction(rt.sessions) as db:
            result = service.check_in_guest(db, keys, stay_id, "kiosk", now=local(ARRIVAL, 20))
        out.append((stay_id, result.get("error", "ok"), result.get("room")))
    except SummitError as exc:
        out.append((stay_id, exc.code, None))
    except Exception as exc:  # recorded, so the test names what broke instead of hanging
        out.append((stay_id, f"crash:{type(exc).__name__}:{exc}", None))


def run_kiosks(rt: Runtime) -> None:
    singles, partners = scenario(rt)
    jobs = singles * 2 + partners
    start = threading.Barrier(len(jobs))
    out: list[Any] = []
    threads = [threading.Thread(target=attempt, args=(rt, s, start, out)) for s in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(out) == len(jobs), "a kiosk thread did not finish"
    outcomes = Counter(code for _, code, _ in out)
    assert set(outcomes) <= {"ok", "already_checked_in", "rooms_short"}, outcomes
    per_stay = Counter(s for s, code, _ in out if code == "ok")
    assert max(per_stay.values()) == 1  # no attendee checked in twice
    assert sum(per_stay[s] for s in singles) == FREE_IN_BLOCK
    assert per_stay[partners[0]] == per_stay[partners[1]] == 1
    rooms = {s: room for s, code, room in out if code == "ok"}
    assert rooms[partners[0]] == rooms[partners[1]]
    check_ledger(rt, partners)


def check_ledger(rt: Runtime, partners: list[int]) -> None:
    with transaction(rt.sessions) as db:
        rows = db.execute(select(RoomNight.room_id, RoomNight.night, RoomNight.stay_id)).all()
        by_room_night: dict[Any, set[int]] = {}
        for room, night, stay in rows:
            by_room_night.setdefault((room, night), set()).add(stay)
        shared = [stays for stays in by_room_night.values() if len(stays) > 1]
        assert shared == [set(partners)] * len(NIGHTS)  # only the partners ever share
        checked_in = db.scalars(select(Stay.id).where(Stay.state == "checked_in")).all()
        assert len(checked_in) == 2 + FREE_IN_BLOCK + 2
        per_stay = Counter(stay for _, _, stay in rows)
        assert set(per_stay) == set(checked_in)
        assert set(per_stay.values()) == {len(NIGHTS)}
        for block in db.scalars(select(RoomBlock)):
            rooms_counted = db.scalar(
                select(func.count(func.distinct(RoomNight.room_id))).where(
                    RoomNight.block_id == block.id
                )
            )
            assert block.used == rooms_counted
        king = db.scalar(select(func.max(RoomBlock.used)).where(RoomBlock.allotment == 10))
        assert king == 10


@pytest.mark.slow
def test_kiosks_racing_on_sqlite_never_double_book(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("this variant is for SQLite; the PostgreSQL one follows")
    run_kiosks(runtime)


@pytest.mark.slow
@pytest.mark.postgres
def test_kiosks_racing_on_postgres_connections_never_double_book(pg_runtime: Runtime) -> None:
    run_kiosks(pg_runtime)
