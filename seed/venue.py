"""Demo venue: the Strait International Conference & Exhibition Center, Fuzhou (in spirit).

Zones with category rules and time windows on the two summit days, directions in Chinese and
English, and gates per zone (entries and one exit each). Deterministic: no randomness is needed,
the `rng` parameter is kept for the seed contract.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_utc
from models.venue import Gate, Zone, ZoneRule

ALL_DELEGATES = "delegate,vip,speaker,media,staff"
# code, zh, en, default categories, capacity, entry gates, directions zh, directions en
ZONES = [
    (
        "main_hall",
        "主会场（海峡厅）",
        "Main hall (Strait Hall)",
        ALL_DELEGATES,
        3000,
        3,
        "从南广场正门进入，安检后直行，主会场在一层中央。",
        "Enter by the south plaza main doors; after security go straight on: ground floor, centre.",
    ),
    (
        "exhib_hall_1",
        "1号展馆（数字成果展）",
        "Exhibition hall 1 (digital achievements)",
        ALL_DELEGATES + ",exhibitor,visitor",
        5000,
        2,
        "从东广场入口进入，沿连廊向北约100米。",
        "Enter from the east plaza; follow the covered walkway north for about 100 m.",
    ),
    (
        "exhib_hall_2",
        "2号展馆（产业展区）",
        "Exhibition hall 2 (industry)",
        ALL_DELEGATES + ",exhibitor,visitor",
        5000,
        2,
        "1号展馆北侧，经空中连廊到达。",
        "North of hall 1, reached over the skybridge.",
    ),
    (
        "vip_lounge",
        "贵宾休息室",
        "VIP lounge",
        "vip,speaker,staff",
        120,
        1,
        "主会场二层东侧，乘贵宾电梯到达。",
        "Main hall building, first floor east: take the VIP lift.",
    ),
    (
        "press_centre",
        "新闻中心",
        "Press centre",
        "media,staff",
        400,
        1,
        "西广场新闻中心楼，凭媒体证件进入。",
        "West plaza press building; media accreditation needed.",
    ),
    (
        "forum_a",
        "分论坛A厅（闽江厅）",
        "Forum room A (Min River Room)",
        ALL_DELEGATES,
        600,
        1,
        "主会场二层西侧。",
        "Main hall building, first floor west.",
    ),
    (
        "forum_b",
        "分论坛B厅（榕城厅）",
        "Forum room B (Banyan City Room)",
        ALL_DELEGATES,
        600,
        1,
        "主会场三层西侧。",
        "Main hall building, second floor west.",
    ),
]
GATE_PREFIX = {
    "main_hall": "MH",
    "exhib_hall_1": "EX1",
    "exhib_hall_2": "EX2",
    "vip_lounge": "VIP",
    "press_centre": "PC",
    "forum_a": "FA",
    "forum_b": "FB",
}
# Local opening hours per zone on each summit day; staff and exhibitors come earlier.
HOURS = {
    "main_hall": [(ALL_DELEGATES, "07:30", "19:00")],
    "exhib_hall_1": [
        ("exhibitor,staff", "07:00", "19:00"),
        ("delegate,vip,speaker,media", "08:30", "18:00"),
        ("visitor", "09:00", "17:00"),
    ],
    "exhib_hall_2": [
        ("exhibitor,staff", "07:00", "19:00"),
        ("delegate,vip,speaker,media", "08:30", "18:00"),
        ("visitor", "09:00", "17:00"),
    ],
    "vip_lounge": [("vip,speaker,staff", "07:00", "20:00")],
    "press_centre": [("media,staff", "07:00", "22:00")],
    "forum_a": [(ALL_DELEGATES, "08:00", "18:30")],
    "forum_b": [(ALL_DELEGATES, "08:00", "18:30")],
}


def _at(day: date, hhmm: str) -> datetime:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return to_utc(datetime.combine(day, time(hh, mm)))


def _gates(session: Session, zone: Zone, entries: int) -> int:
    prefix = GATE_PREFIX[zone.code]
    for i in range(1, entries + 1):
        session.add(
            Gate(
                code=f"{prefix}-IN{i}",
                name=f"{zone.name_en} entry {i}",
                zone_id=zone.id,
                direction="in",
            )
        )
    session.add(
        Gate(code=f"{prefix}-OUT1", name=f"{zone.name_en} exit", zone_id=zone.id, direction="out")
    )
    return entries + 1


def seed_venue(
    session: Session, rng: random.Random, days: list[date]
) -> tuple[list[Zone], dict[str, int]]:
    """Create zones, their rules on the summit days (days[1:3]) and their gates."""
    del rng  # the venue is fixed; kept so every seed step has the same signature
    zones: list[Zone] = []
    counts = {"zones": 0, "gates": 0, "rules": 0}
    for code, zh, en, cats, capacity, entries, dir_zh, dir_en in ZONES:
        zone = Zone(
            code=code,
            name_zh=zh,
            name_en=en,
            categories=cats,
            capacity=capacity,
            directions_zh=dir_zh,
            directions_en=dir_en,
        )
        session.add(zone)
        session.flush()
        zones.append(zone)
        counts["gates"] += _gates(session, zone, entries)
        for day in days[1:3]:
            for rule_cats, opens, closes in HOURS[code]:
                session.add(
                    ZoneRule(
                        zone_id=zone.id,
                        categories=rule_cats,
                        starts_at=_at(day, opens),
                        ends_at=_at(day, closes),
                    )
                )
                counts["rules"] += 1
    session.flush()
    counts["zones"] = len(zones)
    return zones, counts


def open_around(session: Session, now: datetime, hours: float = 12.0) -> int:
    """Widen every zone rule's window to `now` ± `hours` (same categories); returns how many.

    For load tests and tests against a summit seeded for today, which must pass gates at any
    time of day: the demo's opening hours (07:00-22:00 local) would refuse every pass in the
    evening as `outside_hours`. Never used by the demo itself.
    """
    rules = list(session.scalars(select(ZoneRule)))
    for rule in rules:
        rule.starts_at = now - timedelta(hours=hours)
        rule.ends_at = now + timedelta(hours=hours)
    return len(rules)
