"""Demo hotels in Fuzhou: room types, rooms, nightly blocks with VIP and speaker sub-blocks, stays.

Most attendees who travel (not staff, not citizen visitors) get a reservation; some delegates
share twin rooms; VIPs get suites from their own sub-block. One hotel's king block is a few
rooms short on the first summit night so the console has something to show.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hotel.shortage import note_shortage
from hotel.views import shortages
from models import Attendee, Hotel, Room, RoomBlock, RoomType, Stay

# code, Chinese name, English name, address, minutes to FOC airport, to Fuzhou South (FZS),
# weight (share of ordinary guests)
HOTELS = [
    ("FZSL", "福州香格里拉大酒店", "Shangri-La Hotel, Fuzhou", "鼓楼区新权路9号", 55, 35, 3),
    ("FZIC", "福州世茂洲际酒店", "InterContinental Fuzhou", "台江区江滨中大道", 50, 25, 3),
    ("FZCP", "福州融侨皇冠假日酒店", "Crowne Plaza Fuzhou", "仓山区江滨西大道", 50, 22, 2),
    ("FZWV", "福州万达文华酒店", "Wanda Vista Fuzhou", "仓山区浦上大道", 48, 20, 2),
    ("FZWL", "福州西湖大酒店", "Fuzhou Westlake Hotel", "鼓楼区湖滨路158号", 60, 38, 2),
]
SHORT_HOTEL = "FZWL"
SHORT_ROOMS = 6
ROOM_TYPES = [
    ("KING", "大床房 King", 1, False),
    ("TWIN", "双床房 Twin", 2, False),
    ("SUITE", "套房 Suite", 1, True),
]
NO_HOTEL = ("staff", "visitor")


@dataclass
class Plan:
    """One reservation before it is a row: whose, where, which type, which nights."""

    attendee: Attendee
    hotel: str
    room_type: str
    category: str
    first: date
    end: date
    partner: int | None = None  # index of the sharing partner's plan


def seed_hotels(
    session: Session, rng: random.Random, attendees: list[Attendee], days: list[date]
) -> tuple[list[Hotel], dict[str, int]]:
    """Create hotels, rooms, blocks and stays for the demo; returns hotels and counts."""
    hotels = _hotels(session)
    types = _room_types(session, hotels)
    plans = _plans(rng, attendees, days)
    needs = _needs(plans, days[:3])
    rooms = _rooms(session, hotels, types, needs)
    blocks = _blocks(session, hotels, types, needs, days[:3])
    stays = _stays(session, hotels, types, plans)
    short = shortages(session, days[:3])
    for s in short:
        note_shortage(
            session, next(h.code for h in hotels if h.id == s["hotel_id"]), s["night"], s["short"]
        )
    return hotels, {
        "hotels": len(hotels),
        "rooms": rooms,
        "blocks": blocks,
        "stays": stays,
        "shared_rooms": sum(1 for p in plans if p.partner is not None) // 2,
        "rooms_short": sum(s["short"] for s in short),
    }


# Approximate real positions (WGS84, +-0.5 km) of the hotels above, for shared trips.
POSITIONS = {
    "FZSL": (26.0868, 119.3036),  # Shangri-La, Xinquan Rd, Gulou
    "FZIC": (26.0556, 119.3142),  # InterContinental, Jiangbin Middle Ave, Taijiang
    "FZCP": (26.0475, 119.2868),  # Crowne Plaza Riverside, Jiangbin West Ave, Cangshan
    "FZWV": (26.0379, 119.2716),  # Wanda Vista, Pushang Ave, Cangshan
    "FZWL": (26.0925, 119.2944),  # Westlake Hotel, Hubin Rd, Gulou
}


def _hotels(session: Session) -> list[Hotel]:
    hotels = [
        Hotel(
            code=code,
            name_zh=zh,
            name_en=en,
            address=addr,
            travel_minutes_airport=air,
            travel_minutes_station=rail,
            wifi_ssid=f"{code}-Summit",
            wifi_password=f"DCS2026-{code[2:].lower()}",
            no_show_cutoff_hour=4,
            latitude=POSITIONS[code][0],
            longitude=POSITIONS[code][1],
        )
        for code, zh, en, addr, air, rail, _w in HOTELS
    ]
    session.add_all(hotels)
    session.flush()
    return hotels


def _room_types(session: Session, hotels: list[Hotel]) -> dict[tuple[str, str], RoomType]:
    types = {
        (h.code, code): RoomType(hotel_id=h.id, code=code, name=name, beds=beds, suite=suite)
        for h in hotels
        for code, name, beds, suite in ROOM_TYPES
    }
    session.add_all(types.values())
    session.flush()
    return types


def _plans(rng: random.Random, attendees: list[Attendee], days: list[date]) -> list[Plan]:
    codes = [h[0] for h in HOTELS]
    weights = [h[6] for h in HOTELS]
    plans: list[Plan] = []
    for person in attendees:
        if person.category in NO_HOTEL or rng.random() < 0.12:
            continue  # local guests and those who booked their own room
        first = days[0] if rng.random() < 0.6 else days[1]
        end = days[2] if rng.random() < 0.1 else days[3]
        if person.category in ("vip", "speaker"):
            hotel = rng.choice(codes[:2])
            kind, cat = ("SUITE", "vip") if person.category == "vip" else ("KING", "speaker")
        else:
            hotel = rng.choices(codes, weights)[0]
            kind, cat = ("TWIN", "") if rng.random() < 0.3 else ("KING", "")
        plans.append(Plan(person, hotel, kind, cat, first, end))
    _pair_twins(rng, plans)
    return plans


def _pair_twins(rng: random.Random, plans: list[Plan]) -> None:
    """Pair twin-room guests of the same hotel and dates; an odd one out takes a king."""
    groups: dict[tuple[str, date, date], list[int]] = defaultdict(list)
    for i, p in enumerate(plans):
        if p.room_type == "TWIN":
            groups[(p.hotel, p.first, p.end)].append(i)
    for members in groups.values():
        rng.shuffle(members)
        if len(members) % 2:
            plans[members.pop()].room_type = "KING"
        for a, b in zip(members[::2], members[1::2], strict=True):
            plans[a].partner, plans[b].partner = b, a


def _needs(plans: list[Plan], nights: list[date]) -> Counter[tuple[str, str, str, date]]:
    """Rooms needed per (hotel, type, sub-block, night); a shared room counts once."""
    need: Counter[tuple[str, str, str, date]] = Counter()
    for i, p in enumerate(plans):
        if p.partner is not None and p.partner < i:
            continue
        for night in nights:
            if p.first <= night < p.end:
                need[(p.hotel, p.room_type, p.category, night)] += 1
    return need


def _rooms(
    session: Session,
    hotels: list[Hotel],
    types: dict[tuple[str, str], RoomType],
    need: Counter[tuple[str, str, str, date]],
) -> int:
    peak: Counter[tuple[str, str]] = Counter()
    per_night: Counter[tuple[str, str, date]] = Counter()
    for (code, kind, _cat, night), n in need.items():
        per_night[(code, kind, night)] += n
    for (code, kind, _night), n in per_night.items():
        peak[(code, kind)] = max(peak[(code, kind)], n)
    rows = []
    for hotel in hotels:
        number = 0
        for kind, *_rest in ROOM_TYPES:
            for _ in range(math.ceil(peak[(hotel.code, kind)] * 1.08) + 2):
                number += 1
                floor, slot = 3 + (number - 1) // 30, 1 + (number - 1) % 30
                rows.append(
                    {
                        "hotel_id": hotel.id,
                        "room_type_id": types[(hotel.code, kind)].id,
                        "number": f"{floor}{slot:02d}",
                        "floor": floor,
                        "out_of_order": False,
                    }
                )
    session.execute(insert(Room), rows)
    return len(rows)


def _blocks(
    session: Session,
    hotels: list[Hotel],
    types: dict[tuple[str, str], RoomType],
    need: Counter[tuple[str, str, str, date]],
    nights: list[date],
) -> int:
    rows = []
    for hotel in hotels:
        for kind, *_rest in ROOM_TYPES:
            for night in nights:
                for cat in ("", "vip", "speaker"):
                    wanted = need[(hotel.code, kind, cat, night)]
                    if cat and not wanted:
                        continue
                    allotment = wanted + (2 if not cat else 0)
                    if (hotel.code, kind, cat, night) == (SHORT_HOTEL, "KING", "", nights[1]):
                        allotment = max(wanted - SHORT_ROOMS, 0)
                    rows.append(
                        {
                            "hotel_id": hotel.id,
                            "room_type_id": types[(hotel.code, kind)].id,
                            "night": night,
                            "category": cat,
                            "allotment": allotment,
                            "used": 0,
                        }
                    )
    session.execute(insert(RoomBlock), rows)
    return len(rows)


def _stays(
    session: Session, hotels: list[Hotel], types: dict[tuple[str, str], RoomType], plans: list[Plan]
) -> int:
    hotel_ids = {h.code: h.id for h in hotels}
    stays = [
        Stay(
            attendee_id=p.attendee.id,
            hotel_id=hotel_ids[p.hotel],
            room_type_id=types[(p.hotel, p.room_type)].id,
            block_category=p.category,
            check_in_date=p.first,
            check_out_date=p.end,
            state="reserved",
        )
        for p in plans
    ]
    session.add_all(stays)
    session.flush()
    for p, stay in zip(plans, stays, strict=True):
        if p.partner is not None:
            stay.partner_id = stays[p.partner].id
            p.attendee.share_with = plans[p.partner].attendee.id
    session.flush()
    return len(stays)
