"""The demo hotel seed: deterministic, consistent with the allocation rules, short where meant."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.config import Config
from core.runtime import Runtime, build_runtime, create_schema
from models import Alert, Attendee, Hotel, RoomBlock, RoomType, Stay
from models.db import transaction
from seed.hotels import seed_hotels
from seed.people import seed_people

DAYS = [date(2026, 12, 7) + timedelta(days=i) for i in range(4)]


def seeded(path: Path, people: int = 250) -> tuple[Runtime, dict[str, int]]:
    rt = build_runtime(Config.for_tests(path))
    create_schema(rt)
    rng = random.Random(7)
    with transaction(rt.sessions) as db:
        attendees = seed_people(db, rt.pii, rng, people)
        _hotels, counts = seed_hotels(db, rng, attendees, DAYS)
    return rt, counts


def reservations(rt: Runtime) -> list[Any]:
    with transaction(rt.sessions) as db:
        return db.execute(
            select(
                Attendee.ref,
                Hotel.code,
                RoomType.code,
                Stay.check_in_date,
                Stay.check_out_date,
                Stay.block_category,
            )
            .join(Attendee, Attendee.id == Stay.attendee_id)
            .join(Hotel, Hotel.id == Stay.hotel_id)
            .join(RoomType, RoomType.id == Stay.room_type_id)
            .order_by(Attendee.ref)
        ).all()


def test_same_seed_gives_the_same_hotels_and_reservations(tmp_path: Path) -> None:
    first, counts = seeded(tmp_path / "a")
    second, again = seeded(tmp_path / "b")
    try:
        assert counts == again and reservations(first) == reservations(second)
    finally:
        first.close()
        second.close()


def test_seed_makes_five_hotels_sharing_pairs_vip_suites_and_a_visible_shortage(
    tmp_path: Path,
) -> None:
    rt, counts = seeded(tmp_path)
    try:
        assert counts["hotels"] == 5 and counts["shared_rooms"] > 0 and counts["rooms_short"] > 0
        with transaction(rt.sessions) as db:
            stays = db.scalars(select(Stay)).all()
            by_id = {s.id: s for s in stays}
            for s in stays:
                if s.partner_id is not None:
                    assert by_id[s.partner_id].partner_id == s.id
                    assert by_id[s.partner_id].check_in_date == s.check_in_date
            categories = {a.id: a.category for a in db.scalars(select(Attendee))}
            assert not [s for s in stays if categories[s.attendee_id] in ("staff", "visitor")]
            vip_types = {
                db.get(RoomType, s.room_type_id).code  # type: ignore[union-attr]
                for s in stays
                if categories[s.attendee_id] == "vip"
            }
            assert vip_types <= {"SUITE"}
            assert db.scalar(select(func.count(RoomBlock.id)).where(RoomBlock.category == "vip"))
            alerts = db.scalars(select(Alert.message).where(Alert.kind == "hotel_rooms_short"))
            assert [m for m in alerts if m.startswith("FZWL")]
    finally:
        rt.close()
