"""The demo venue seed: zones, gates and rules that the agenda and gates can use."""

from __future__ import annotations

import random
from datetime import date, datetime, time

from sqlalchemy import func, select

from checkin.rules import access_refusal
from core.clock import to_utc
from core.runtime import Runtime
from models import Gate, Zone, ZoneRule
from models.db import transaction
from seed.venue import seed_venue

DAYS = [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)]


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hh, mm)))


def test_every_zone_has_entries_an_exit_and_bilingual_directions(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        zones, counts = seed_venue(db, random.Random(1), DAYS)
        codes = [z.code for z in zones]
        for word in ("main", "exhib", "vip", "press", "forum"):  # what seed.agenda looks for
            assert any(word in c for c in codes)
        for zone in zones:
            directions = set(db.scalars(select(Gate.direction).where(Gate.zone_id == zone.id)))
            assert directions == {"in", "out"} and zone.directions_zh and zone.directions_en
        assert counts["gates"] == db.scalar(select(func.count(Gate.id)))
        assert counts["rules"] == db.scalar(select(func.count(ZoneRule.id)))


def test_rules_follow_category_and_hours_on_summit_days_only(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        seed_venue(db, random.Random(1), DAYS)
        zone = {z.code: z for z in db.scalars(select(Zone))}
        day1 = DAYS[1]
        assert access_refusal(db, zone["vip_lounge"], "vip", local(day1, 10)) is None
        assert (
            access_refusal(db, zone["vip_lounge"], "delegate", local(day1, 10))
            == "category_not_allowed"
        )
        assert access_refusal(db, zone["main_hall"], "delegate", local(day1, 6)) == "outside_hours"
        assert (
            access_refusal(db, zone["main_hall"], "delegate", local(DAYS[0], 10)) == "outside_hours"
        )
        assert access_refusal(db, zone["exhib_hall_1"], "visitor", local(DAYS[2], 9, 30)) is None
        assert (
            access_refusal(db, zone["exhib_hall_1"], "visitor", local(DAYS[2], 8, 30))
            == "outside_hours"
        )


def test_the_same_days_give_the_same_venue(runtime: Runtime, pg_runtime: Runtime) -> None:
    shapes = []
    for rt in (runtime, pg_runtime):
        with transaction(rt.sessions) as db:
            seed_venue(db, random.Random(9), DAYS)
            shapes.append(sorted((g.code, g.direction) for g in db.scalars(select(Gate))))
    assert shapes[0] == shapes[1]
