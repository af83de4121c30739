"""The lists behind the console's numbers (masked), as JSON tables and as CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.registration import search_attendees
from core.clock import to_local, utcnow
from core.errors import Forbidden, NotFound, ValidationError
from core.masking import mask_name
from kiosk_ui import console_service as svc
from models.attendee import Attendee
from models.auth import AuditEntry
from models.hotel import Hotel, Room, Stay
from models.transport import Flight, Trip, TripPassenger
from models.venue import AccessEvent, Gate, VenueCheckIn, Zone, ZonePresence

ADMIN = ("admin",)
SECURITY = ("admin", "security")
ANY_STAFF = ("admin", "staff", "security")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Rows = list[list[Any]]
Args = Mapping[str, str]


@dataclass(frozen=True)
class ListSpec:
    roles: tuple[str, ...]
    columns: tuple[str, ...]
    rows: Callable[[Session, datetime, Args], Rows]


def local(t: datetime | None) -> str:
    """A UTC time as the summit's local 'YYYY-MM-DD HH:MM'."""
    return to_local(t).strftime("%Y-%m-%d %H:%M") if t else ""


def _landed(db: Session, now: datetime, _: Args) -> Rows:
    since = now - timedelta(hours=svc.LANDED_WINDOW_H)
    rows = db.execute(
        select(
            Attendee.ref,
            Attendee.name,
            Flight.number,
            Flight.place,
            Flight.terminal,
            Flight.landed_at,
        )
        .join(Attendee, Attendee.id == Flight.attendee_id)
        .where(Flight.kind == "arrival", Flight.landed_at > since, Flight.landed_at <= now)
        .order_by(Flight.landed_at, Flight.id)
    ).all()
    return [[ref, mask_name(n), num, place, term, local(t)] for ref, n, num, place, term, t in rows]


def _waiting(db: Session, now: datetime, _: Args) -> Rows:
    waiting = svc.waiting_passengers(db, now)
    people = {
        a.id: a
        for a in db.scalars(select(Attendee).where(Attendee.id.in_([w[0] for w in waiting])))
    }
    return [
        [
            people[a].ref,
            mask_name(people[a].name),
            num,
            local(landed),
            int((now - landed).total_seconds() // 60),
        ]
        for a, landed, num in waiting
    ]


def _on_road(db: Session, _now: datetime, _: Args) -> Rows:
    rows = db.execute(
        select(Attendee.ref, Attendee.name, Trip.id, Trip.place, TripPassenger.boarded_at)
        .join(TripPassenger, TripPassenger.attendee_id == Attendee.id)
        .join(Trip, Trip.id == TripPassenger.trip_id)
        .where(Trip.kind == "pickup", TripPassenger.state == "on_board")
        .order_by(TripPassenger.boarded_at)
    ).all()
    return [[ref, mask_name(n), trip, place, local(t)] for ref, n, trip, place, t in rows]


def _at_hotel(db: Session, _now: datetime, _: Args) -> Rows:
    rows = db.execute(
        select(
            Attendee.ref,
            Attendee.name,
            Hotel.name_zh,
            Hotel.name_en,
            Room.number,
            Stay.checked_in_at,
        )
        .join(Stay, Stay.attendee_id == Attendee.id)
        .join(Hotel, Hotel.id == Stay.hotel_id)
        .outerjoin(Room, Room.id == Stay.room_id)
        .where(Stay.state == "checked_in")
        .order_by(Stay.checked_in_at)
    ).all()
    return [
        [ref, mask_name(n), f"{zh} / {en}", room or "", local(t)]
        for ref, n, zh, en, room, t in rows
    ]


def _venue(db: Session, now: datetime, _: Args) -> Rows:
    rows = db.execute(
        select(Attendee.ref, Attendee.name, Attendee.category, Gate.code, VenueCheckIn.first_seen)
        .join(VenueCheckIn, VenueCheckIn.attendee_id == Attendee.id)
        .join(Gate, Gate.id == VenueCheckIn.gate_id)
        .where(VenueCheckIn.day == to_local(now).date())
        .order_by(VenueCheckIn.first_seen)
    ).all()
    return [[ref, mask_name(n), cat, gate, local(t)] for ref, n, cat, gate, t in rows]


def _inside(db: Session, _now: datetime, args: Args) -> Rows:
    stmt = (
        select(Attendee.ref, Attendee.name, Zone.code, ZonePresence.since)
        .join(ZonePresence, ZonePresence.attendee_id == Attendee.id)
        .join(Zone, Zone.id == ZonePresence.zone_id)
        .where(ZonePresence.inside.is_(True))
        .order_by(Zone.id, ZonePresence.since)
    )
    zone = args.get("zone", "")
    if zone:
        if not zone.isdigit():
            raise ValidationError("zone must be a zone id", "invalid_zone")
        stmt = stmt.where(Zone.id == int(zone))
    return [[ref, mask_name(n), code, local(t)] for ref, n, code, t in db.execute(stmt).all()]


def _alerts(db: Session, _now: datetime, args: Args) -> Rows:
    alerts = svc.list_alerts(db, open_only=args.get("all") != "1", limit=1000)
    return [
        [a["id"], a["at"], a["severity"], a["kind"], a["message"], a["acknowledged_by"] or ""]
        for a in alerts
    ]


def _gates(db: Session, now: datetime, _: Args) -> Rows:
    return [
        [
            g["code"],
            g["name"],
            g["last_minute"],
            g["per_minute"],
            g["today"],
            g["denied_today"],
            "queue" if g["queue"] else "",
        ]
        for g in svc.gate_rates(db, now)
    ]


def _denials(db: Session, now: datetime, _: Args) -> Rows:
    start, _end = svc.summit_day(now)
    rows = db.execute(
        select(AccessEvent.at, Gate.code, Attendee.name, AccessEvent.method, AccessEvent.reason)
        .join(Gate, Gate.id == AccessEvent.gate_id)
        .outerjoin(Attendee, Attendee.id == AccessEvent.attendee_id)
        .where(AccessEvent.granted.is_(False), AccessEvent.at >= start)
        .order_by(AccessEvent.at.desc())
        .limit(1000)
    ).all()
    return [
        [local(t), gate, mask_name(n) if n else "", method, reason]
        for t, gate, n, method, reason in rows
    ]


def _audit(db: Session, _now: datetime, _: Args) -> Rows:
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(5000))
    return [[e.id, local(e.created_at), e.actor, e.action, e.target, e.reason] for e in rows]


def _attendees(db: Session, _now: datetime, args: Args) -> Rows:
    found = search_attendees(db, args.get("q", ""), 500)
    return [[a["ref"], a["name"], a["category"], a["organisation"], a["id_number"]] for a in found]


PERSON = ("ref", "name")
LISTS: dict[str, ListSpec] = {
    "landed": ListSpec(ANY_STAFF, (*PERSON, "flight", "place", "terminal", "landed_at"), _landed),
    "waiting": ListSpec(ANY_STAFF, (*PERSON, "flight", "landed_at", "waiting_min"), _waiting),
    "on_road": ListSpec(ANY_STAFF, (*PERSON, "trip", "place", "boarded_at"), _on_road),
    "at_hotel": ListSpec(ANY_STAFF, (*PERSON, "hotel", "room", "checked_in_at"), _at_hotel),
    "venue": ListSpec(ANY_STAFF, (*PERSON, "category", "gate", "first_seen"), _venue),
    "inside": ListSpec(ANY_STAFF, (*PERSON, "zone", "since"), _inside),
    "alerts": ListSpec(
        ANY_STAFF, ("id", "at", "severity", "kind", "message", "acknowledged_by"), _alerts
    ),
    "gates": ListSpec(
        ANY_STAFF,
        ("gate", "name", "last_minute", "per_minute", "today", "denied_today", "warning"),
        _gates,
    ),
    "denials": ListSpec(SECURITY, ("at", "gate", "name", "method", "reason"), _denials),
    "audit": ListSpec(ADMIN, ("id", "at", "actor", "action", "target", "reason"), _audit),
    "attendees": ListSpec(
        ANY_STAFF, (*PERSON, "category", "organisation", "id_number"), _attendees
    ),
}


def build_list(
    session: Session, name: str, role: str, args: Args, now: datetime | None = None
) -> tuple[tuple[str, ...], Rows]:
    """The columns and rows of one named list, if the caller's role may see it."""
    spec = LISTS.get(name)
    if spec is None:
        raise NotFound(f"no list {name!r}; lists: {', '.join(LISTS)}", "unknown_list")
    if role not in spec.roles:
        raise Forbidden(f"role {role!r} may not see the {name} list", "forbidden")
    return spec.columns, spec.rows(session, now or utcnow(), args)


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula by prefixing an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: tuple[str, ...], rows: Rows) -> str:
    """A CSV document (with a BOM so spreadsheet programs read Chinese text as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return "\ufeff" + out.getvalue()
