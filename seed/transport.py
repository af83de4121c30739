"""Demo transport: flights and trains into Fuzhou, 60 vehicles and drivers, then planned trips.

About 90% of attendees travel: foreigners fly into Changle airport (FOC) T2 on international
flights; others fly domestic into T1/T2 or take the train to Fuzhou South (FZS). Arrivals are
spread over the two arrival days, departures over the evening of summit day 2 and the
departure day. Several attendees share each flight, as in life. One flight in ten runs late.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from core.clock import to_utc
from models import Attendee, Driver, Flight, Hotel, Vehicle
from transport.requests import Settings
from transport.service import plan_within_seed

DOMESTIC = ["MF", "MU", "CA", "CZ", "FU", "HO", "3U", "ZH"]
INTERNATIONAL = ["CX", "SQ", "KE", "NH", "MU", "TG", "LH", "EK"]
FLEET = (
    [("sedan", 4, True)] * 6
    + [("sedan", 4, False)] * 30
    + [("van", 7, False)] * 16
    + [("minibus", 15, False)] * 8
)
DRIVER_SURNAMES = "陈林黄郑王李张刘吴蔡"
DRIVER_GIVEN = "建华志强明辉国平海涛文斌永福金水春生德胜"


Service = tuple[str, str, str, bool, datetime]  # number, place, terminal, international, UTC
Timetable = dict[str, list[Service]]


def _local(day: date, minute: int) -> datetime:
    return to_utc(datetime.combine(day, time()) + timedelta(minutes=minute))


def _services(rng: random.Random, day: date, first: int, last: int) -> Timetable:
    """A day's services per mode, between two local minutes of the day."""
    out: Timetable = {"intl": [], "dom": [], "train": []}
    for mode, count in (("intl", 10), ("dom", 50), ("train", 30)):
        for _ in range(count):
            minute = rng.randrange(first, last, 5)
            if mode == "train":
                number, place, terminal = f"{rng.choice('GD')}{rng.randint(100, 3999)}", "FZS", ""
            else:
                airline = rng.choice(INTERNATIONAL if mode == "intl" else DOMESTIC)
                number = f"{airline}{rng.randint(100, 9899)}"
                place, terminal = "FOC", "T2" if mode == "intl" else rng.choice(("T1", "T1", "T2"))
            out[mode].append((number, place, terminal, mode == "intl", _local(day, minute)))
    return out


def _leg(rng: random.Random, person: Attendee, timetable: Timetable, kind: str) -> Flight:
    foreign = person.nationality != "CN"
    mode = "intl" if foreign else ("train" if rng.random() < 0.3 else "dom")
    number, place, terminal, international, at = rng.choice(timetable[mode])
    return Flight(
        attendee_id=person.id,
        kind=kind,
        number=number,
        place=place,
        terminal=terminal,
        international=international,
        scheduled_at=at,
    )


def _delay(rng: random.Random, legs: list[Flight]) -> None:
    """One flight in ten is late by 10-90 minutes (every passenger on it)."""
    by_flight: dict[tuple[str, datetime], list[Flight]] = {}
    for leg in legs:
        by_flight.setdefault((leg.number, leg.scheduled_at), []).append(leg)
    for key in sorted(by_flight, key=lambda k: (k[1], k[0])):
        if rng.random() < 0.1:
            late = timedelta(minutes=rng.randrange(10, 95, 5))
            for leg in by_flight[key]:
                leg.estimated_at = leg.scheduled_at + late


def fleet_of(size: int | None) -> list[tuple[str, int, bool]]:
    """The demo fleet (60), or `size` vehicles in the same mix (a what-if)."""
    if size is None:
        return list(FLEET)
    return [FLEET[i * len(FLEET) // size] for i in range(size)]


def _fleet(session: Session, rng: random.Random, days: list[date], size: int | None) -> int:
    fleet = fleet_of(size)
    for i, (kind, capacity, vip) in enumerate(fleet, start=1):
        vehicle = Vehicle(
            plate=f"闽A·{60000 + i * 37:05d}", kind=kind, capacity=capacity, vip_only=vip
        )
        session.add(vehicle)
        session.flush()
        name = rng.choice(DRIVER_SURNAMES) + "".join(rng.sample(DRIVER_GIVEN, 2))
        session.add(
            Driver(
                name=name,
                phone=f"+86139{rng.randint(10_000_000, 99_999_999)}",
                vehicle_id=vehicle.id,
                shift_start=_local(days[0], rng.choice((300, 330, 360))),
                shift_end=_local(days[3], rng.choice((1320, 1380, 1410))),
            )
        )
    session.flush()
    return len(fleet)


def seed_transport(
    session: Session,
    rng: random.Random,
    attendees: list[Attendee],
    days: list[date],
    hotels: list[Hotel],
    vehicles: int | None = None,
) -> dict[str, int]:
    """Legs for ~90% of attendees, the fleet and drivers, then planned pickups and departures."""
    del hotels  # destinations come from each attendee's stay (read by the planner)
    arrive = [
        _services(rng, days[0], 420, 1320),
        _services(rng, days[1], 360, 720),
    ]
    leave = [
        _services(rng, days[2], 1080, 1320),
        _services(rng, days[3], 420, 1200),
    ]
    legs: list[Flight] = []
    for person in attendees:
        if rng.random() >= 0.9:
            continue
        legs.append(_leg(rng, person, arrive[0] if rng.random() < 0.6 else arrive[1], "arrival"))
        legs.append(_leg(rng, person, leave[1] if rng.random() < 0.7 else leave[0], "departure"))
    _delay(rng, [leg for leg in legs if leg.kind == "arrival"])
    session.add_all(legs)
    session.flush()
    vehicles = _fleet(session, rng, days, vehicles)
    start = _local(days[0], 0)  # plan the whole summit, even legs earlier than now
    # A generous limit: every cluster gets CP-SAT, so the same seed gives the same trips.
    settings = Settings(time_limit=60.0)
    # Inside the seed's one transaction (the legs above are not committed yet): nothing else
    # writes while the demo summit is created, so holding the write lock for the solve is fine.
    pickups = plan_within_seed(session, "arrival", now=start, settings=settings)
    departures = plan_within_seed(session, "departure", now=start, settings=settings)
    return {
        "legs": len(legs),
        "vehicles": vehicles,
        "drivers": vehicles,
        "pickup_trips": pickups.trips_created,
        "departure_trips": departures.trips_created,
        "unplanned": len(pickups.unplanned) + len(departures.unplanned),
    }
