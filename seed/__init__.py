"""Deterministic demo summit (python run.py seed-demo): the Digital China Summit, Fuzhou.

Days are relative to `start` (default: today in the summit's time zone) so that a user who
starts the demo sees arrivals today: day 0 first arrivals, days 1-2 the summit, day 3 departures.
The same seed and start give the same data.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.accounts import create_device, create_user
from core.clock import SUMMIT_TZ
from core.errors import Conflict
from core.runtime import Runtime
from models import Attendee, Driver, Gate, Hotel
from models.db import transaction
from seed.agenda import seed_agenda
from seed.people import seed_people

DEMO_PASSWORDS = {
    "admin": "admin-demo-2026",
    "staff": "staff-demo-2026",
    "security": "security-demo-2026",
}


def summit_days(start: date | None = None) -> list[date]:
    """[first arrival day, summit day 1, summit day 2, departure day]."""
    first = start or datetime.now(SUMMIT_TZ).date()
    return [first + timedelta(days=i) for i in range(4)]


def seed_summit(
    rt: Runtime,
    *,
    seed: int = 2026,
    attendees: int = 2000,
    start: date | None = None,
    vehicles: int | None = None,
) -> dict[str, Any]:
    """Create the whole demo summit in one transaction; refuses a database that has attendees."""
    from seed.hotels import seed_hotels
    from seed.transport import seed_transport
    from seed.venue import seed_venue

    rng = random.Random(seed)
    days = summit_days(start)
    with transaction(rt.sessions) as db:
        existing = db.scalar(select(func.count(Attendee.id))) or 0
        if existing:
            raise Conflict(
                f"the database already has {existing} attendees; nothing seeded", "already_seeded"
            )
        people = seed_people(db, rt.pii, rng, attendees)
        zones, venue_counts = seed_venue(db, rng, days)
        sessions = seed_agenda(db, zones, days[1:3])
        hotels, hotel_counts = seed_hotels(db, rng, people, days)
        transport_counts = seed_transport(db, rng, people, days, hotels, vehicles)
        tokens = _seed_accounts(db)
    _write_tokens(rt, tokens)
    return {
        "days": [d.isoformat() for d in days],
        "attendees": len(people),
        "agenda_sessions": sessions,
        **{f"venue_{k}": v for k, v in venue_counts.items()},
        **{f"hotel_{k}": v for k, v in hotel_counts.items()},
        **{f"transport_{k}": v for k, v in transport_counts.items()},
        "logins": {role: {"username": role, "password": pw} for role, pw in DEMO_PASSWORDS.items()},
        "device_tokens": str(rt.config.instance_path / "demo-tokens.json"),
    }


def _seed_accounts(db: Any) -> dict[str, str]:
    """Demo staff users and one device per gate, hotel desk and driver, plus three kiosks."""
    for role, password in DEMO_PASSWORDS.items():
        create_user(db, role, password, role)
    tokens: dict[str, str] = {}

    def add(name: str, kind: str, **links: Any) -> None:
        _device, token = create_device(db, name, kind, "seed", **links)
        tokens[name] = token

    gates = {gate.code: gate.id for gate in db.scalars(select(Gate).order_by(Gate.id))}
    for code, gate_id in gates.items():
        add(f"gate-{code}", "gate", gate_id=gate_id)
    # A kiosk passes people only at the gate it stands at: one at each main-hall entrance.
    for i in range(1, 4):
        add(f"kiosk-{i}", "kiosk", gate_id=gates[f"MH-IN{i}"])
    for hotel in db.scalars(select(Hotel).order_by(Hotel.id)):
        add(f"hotel-desk-{hotel.code}", "hotel_desk", hotel_id=hotel.id)
    add("airport-desk-FOC", "airport_desk")
    add("registration-1", "registration")
    for driver in db.scalars(select(Driver).order_by(Driver.id)):
        add(f"driver-{driver.id}", "driver", driver_id=driver.id)
    return tokens


def _write_tokens(rt: Runtime, tokens: dict[str, str]) -> None:
    path = rt.config.instance_path / "demo-tokens.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(tokens, fh, indent=2)
