"""Demo agenda: two summit days of plenaries, forums and the exhibition, in the seeded zones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from core.clock import to_utc
from models.venue import AgendaSession, Zone

# (day index, local start, minutes, English title, Chinese title, preferred zone code words)
PROGRAMME = [
    (0, "09:00", 90, "Opening ceremony", "开幕式", "main"),
    (
        0,
        "10:45",
        75,
        "Keynote: Digital China and the data economy",
        "主旨演讲：数字中国与数据经济",
        "main",
    ),
    (0, "13:30", 120, "Forum: Smart cities", "分论坛：智慧城市", "forum"),
    (0, "13:30", 120, "Forum: Digital government", "分论坛：数字政府", "forum"),
    (0, "16:00", 90, "Forum: AI and industry", "分论坛：人工智能与产业", "forum"),
    (0, "09:00", 480, "Digital achievements exhibition", "数字建设成果展览会", "exhib"),
    (1, "09:00", 120, "Forum: Data security", "分论坛：数据安全", "forum"),
    (1, "09:30", 90, "Press conference", "新闻发布会", "press"),
    (1, "11:00", 90, "Forum: Digital health", "分论坛：数字健康", "forum"),
    (1, "14:00", 90, "VIP roundtable", "贵宾圆桌会", "vip"),
    (1, "16:00", 60, "Closing ceremony", "闭幕式", "main"),
    (1, "09:00", 420, "Digital achievements exhibition", "数字建设成果展览会", "exhib"),
]


def _zone_for(zones: list[Zone], word: str) -> Zone:
    for zone in zones:
        if word in zone.code:
            return zone
    return zones[0]


def seed_agenda(session: Session, zones: list[Zone], summit_days: list[date]) -> int:
    """Create the programme in the zones whose code contains the preferred word."""
    count = 0
    for day_index, start, minutes, title_en, title_zh, word in PROGRAMME:
        zone = _zone_for(zones, word)
        hh, mm = (int(x) for x in start.split(":"))
        starts = to_utc(datetime.combine(summit_days[day_index], time(hh, mm)))
        session.add(
            AgendaSession(
                title_en=title_en,
                title_zh=title_zh,
                zone_id=zone.id,
                room=zone.name_en,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes),
            )
        )
        count += 1
    session.flush()
    return count
