"""`make_*` factories for small linked test fixtures."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from checkin.identity import resident_id_check_digit
from checkin.registration import AttendeeData, register_attendee
from core.crypto import PiiBox
from models.attendee import Attendee
from models.venue import Gate, Zone

_seq = itertools.count(1)


def resident_id(n: int | None = None, born: date = date(1990, 1, 1)) -> str:
    """A valid GB 11643 resident ID number, different for each n."""
    n = next(_seq) if n is None else n
    first17 = f"350102{born:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_digit(first17)


def attendee_data(**overrides: Any) -> AttendeeData:
    n = next(_seq)
    fields: dict[str, Any] = {
        "name": "张小三",
        "category": "delegate",
        "id_type": "passport",
        "id_number": f"E{n:08d}",
        "organisation": "Fuzhou Digital Co.",
        "phone": "+8613812345678",
        "email": f"person{n}@example.org",
        "consent_face": True,
    }
    fields.update(overrides)
    return AttendeeData(**fields)


def make_attendee(session: Session, pii: PiiBox, actor: str = "test", **overrides: Any) -> Attendee:
    return register_attendee(session, pii, attendee_data(**overrides), actor)


def make_zone(
    session: Session,
    code: str = "main_hall",
    categories: str = "delegate,vip,speaker,media,exhibitor,staff",
    **kw: Any,
) -> Zone:
    zone = Zone(
        code=code,
        name_zh=kw.pop("name_zh", "主会场"),
        name_en=kw.pop("name_en", "Main hall"),
        categories=categories,
        **kw,
    )
    session.add(zone)
    session.flush()
    return zone


def make_gate(session: Session, zone: Zone, code: str = "G1", direction: str = "in") -> Gate:
    gate = Gate(code=code, name=f"Gate {code}", zone_id=zone.id, direction=direction)
    session.add(gate)
    session.flush()
    return gate


def at(hours: float = 0) -> datetime:
    """A naive UTC time relative to a fixed summit morning."""
    return datetime(2026, 12, 8, 1, 0) + timedelta(hours=hours)
