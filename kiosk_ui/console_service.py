"""Read models of the staff console, counted from the database so that a full refresh and the
live screen always show the same numbers; plus alert acknowledgement (audited)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.alerts import alert_params
from core.audit import audit
from core.clock import iso, to_local, to_utc, utcnow
from core.errors import Conflict, NotFound
from core.events import emit
from models.attendee import JourneyStep
from models.events import Alert, DomainEvent
from models.hotel import Stay
from models.transport import Flight, Trip, TripPassenger
from models.venue import AccessEvent, Gate, VenueCheckIn, Zone, ZonePresence

# A face gate admits about 20 people a minute; at 80 % of that a queue is forming.
GATE_PER_MINUTE = 20
QUEUE_SHARE = 0.8
QUEUE_WINDOW_MIN = 5
THROUGHPUT_MINUTES = 30
CHART_HOURS = 24
LANDED_WINDOW_H = 24
ZONE_FULL_SHARE = 0.9
# Passengers who landed longer ago than this and never got a ride are not "waiting" any more.
WAITING_HORIZON_H = 12
SECURITY_EVENTS = ("gate_denied", "watchlist_hit", "liveness_failed", "watchlist_changed")


def summit_day(now: datetime) -> tuple[datetime, datetime]:
    """The summit-local calendar day around `now`, as a naive UTC [start, end) range."""
    local = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = to_utc(local)
    return start, start + timedelta(days=1)


def last_seq(session: Session) -> int:
    """Sequence number of the newest domain event (where a client's catch-up starts)."""
    return int(session.scalar(select(func.max(DomainEvent.id))) or 0)


def summary(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Everything the console's counters and charts show, in one consistent read."""
    now = now or utcnow()
    seq = last_seq(session)  # read first: events after it are replayed by the client anyway
    return {
        "seq": seq,
        "now": iso(now),
        "arrivals": arrival_counts(session, now),
        "venue": venue_state(session, now),
        "alerts": alert_counts(session),
        "charts": {
            "arrivals_by_hour": arrivals_by_hour(session, now),
            "throughput": gate_throughput(session, now),
        },
    }


def waiting_passengers(session: Session, now: datetime) -> list[tuple[int, datetime, str]]:
    """(attendee id, landed at, flight number) of landed people still waiting for a ride."""
    done = select(JourneyStep.attendee_id).where(
        JourneyStep.stage.in_(("picked_up", "hotel_checked_in"))
    )
    rows = session.execute(
        select(Flight.attendee_id, Flight.landed_at, Flight.number, TripPassenger.state)
        .outerjoin(TripPassenger, TripPassenger.flight_id == Flight.id)
        .where(
            Flight.kind == "arrival",
            Flight.landed_at.is_not(None),
            Flight.landed_at >= now - timedelta(hours=WAITING_HORIZON_H),
            Flight.attendee_id.not_in(done),
        )
        .order_by(Flight.landed_at, Flight.id)
    ).all()
    return [
        (a, landed, num)
        for a, landed, num, state in rows
        if landed is not None and state in (None, "waiting")
    ]


def arrival_counts(session: Session, now: datetime) -> dict[str, Any]:
    """Landed in the last day, waiting for pickup (and the longest wait), on the road, at their
    hotel, checked in at the venue today."""
    waiting = waiting_passengers(session, now)
    longest = max((now - landed for _, landed, _ in waiting), default=timedelta(0))
    return {
        "landed": session.scalar(
            select(func.count(Flight.id)).where(
                Flight.kind == "arrival",
                Flight.landed_at > now - timedelta(hours=LANDED_WINDOW_H),
                Flight.landed_at <= now,
            )
        ),
        "waiting": len(waiting),
        "longest_wait_min": int(longest.total_seconds() // 60),
        "on_road": session.scalar(
            select(func.count(TripPassenger.id))
            .join(Trip, Trip.id == TripPassenger.trip_id)
            .where(Trip.kind == "pickup", TripPassenger.state == "on_board")
        ),
        "at_hotel": session.scalar(select(func.count(Stay.id)).where(Stay.state == "checked_in")),
        "venue": session.scalar(
            select(func.count(VenueCheckIn.id)).where(VenueCheckIn.day == to_local(now).date())
        ),
    }


def venue_state(session: Session, now: datetime) -> dict[str, Any]:
    """People inside each zone now, passes per gate, and the warnings staff should act on."""
    inside = dict(
        session.execute(
            select(ZonePresence.zone_id, func.count(ZonePresence.id))
            .where(ZonePresence.inside.is_(True))
            .group_by(ZonePresence.zone_id)
        ).all()
    )
    zones: list[dict[str, Any]] = [
        {
            "id": z.id,
            "code": z.code,
            "name_zh": z.name_zh,
            "name_en": z.name_en,
            "inside": int(inside.get(z.id, 0)),
            "capacity": z.capacity,
        }
        for z in session.scalars(select(Zone).order_by(Zone.id))
    ]
    gates = gate_rates(session, now)
    warnings = [
        {"kind": "queue", "gate": g["code"], "per_minute": g["per_minute"]}
        for g in gates
        if g["queue"]
    ] + [
        {"kind": "zone_full", "zone": z["code"], "inside": z["inside"], "capacity": z["capacity"]}
        for z in zones
        if z["capacity"] and z["inside"] >= ZONE_FULL_SHARE * z["capacity"]
    ]
    return {
        "zones": zones,
        "gates": gates,
        "warnings": warnings,
        "inside_total": sum(z["inside"] for z in zones),
    }


def _passes(since: datetime, *, granted: bool = True) -> Any:
    """(gate, time) of entries let in since a time (or of denials, in any direction)."""
    stmt = select(AccessEvent.gate_id, AccessEvent.at).where(
        AccessEvent.at >= since, AccessEvent.granted.is_(granted), AccessEvent.undone_at.is_(None)
    )
    return stmt.where(AccessEvent.direction == "in") if granted else stmt


def gate_rates(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Per gate: passes in the last minute, the mean rate over the queue window, denials today."""
    start, _ = summit_day(now)
    recent = session.execute(_passes(now - timedelta(minutes=QUEUE_WINDOW_MIN))).all()
    last_min = Counter(g for g, at in recent if at >= now - timedelta(minutes=1))
    window = Counter(g for g, _ in recent)
    today = Counter(g for g, _ in session.execute(_passes(start)).all())
    denied = Counter(g for g, _ in session.execute(_passes(start, granted=False)).all())
    out = []
    for gate in session.scalars(select(Gate).order_by(Gate.id)):
        mean = window[gate.id] / QUEUE_WINDOW_MIN
        out.append(
            {
                "id": gate.id,
                "code": gate.code,
                "name": gate.name,
                "zone_id": gate.zone_id,
                "open": gate.open,
                "last_minute": last_min[gate.id],
                "per_minute": round(mean, 1),
                "today": today[gate.id],
                "denied_today": denied[gate.id],
                "queue": mean >= QUEUE_SHARE * GATE_PER_MINUTE,
            }
        )
    return out


def gate_throughput(session: Session, now: datetime) -> dict[str, Any]:
    """Passes per gate per minute over the last half hour (oldest minute first)."""
    since = now.replace(second=0, microsecond=0) - timedelta(minutes=THROUGHPUT_MINUTES - 1)
    codes = dict(session.execute(select(Gate.id, Gate.code)).all())
    series: dict[str, list[int]] = defaultdict(lambda: [0] * THROUGHPUT_MINUTES)
    for gate_id, at in session.execute(_passes(since)).all():
        slot = int((at - since).total_seconds() // 60)
        if 0 <= slot < THROUGHPUT_MINUTES:
            series[codes.get(gate_id, str(gate_id))][slot] += 1
    minutes = [
        to_local(since + timedelta(minutes=i)).strftime("%H:%M") for i in range(THROUGHPUT_MINUTES)
    ]
    return {"minutes": minutes, "gates": dict(sorted(series.items()))}


def arrivals_by_hour(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Arrivals planned and landed per hour, from 12 hours ago to 12 hours ahead.

    A rolling window rather than the calendar day: at 2 a.m. staff still see last evening's
    arrivals against plan, and the morning's to come.
    """
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=CHART_HOURS // 2)
    end = first + timedelta(hours=CHART_HOURS)

    def per_hour(column: Any) -> Counter[int]:
        times = session.scalars(
            select(column).where(Flight.kind == "arrival", column >= first, column < end)
        )
        return Counter(int((t - first).total_seconds() // 3600) for t in times if t)

    planned, landed = per_hour(Flight.scheduled_at), per_hour(Flight.landed_at)
    return [
        {
            "hour": to_local(first + timedelta(hours=i)).hour,
            "planned": planned[i],
            "landed": landed[i],
        }
        for i in range(CHART_HOURS)
    ]


def alert_counts(session: Session) -> dict[str, int]:
    """Open alerts, and how many of them are critical or for security staff."""
    row = session.execute(
        select(
            func.count(Alert.id),
            func.count(Alert.id).filter(Alert.severity == "critical"),
            func.count(Alert.id).filter(Alert.security.is_(True)),
        ).where(Alert.acknowledged_by.is_(None))
    ).one()
    return {"open": row[0], "critical": row[1], "security": row[2]}


def alert_view(a: Alert) -> dict[str, Any]:
    """An alert as the console shows it (its message is masked when raised)."""
    return {
        "id": a.id,
        "kind": a.kind,
        "severity": a.severity,
        "message": a.message,
        "params": alert_params(a),
        "attendee_id": a.attendee_id,
        "gate_id": a.gate_id,
        "security": a.security,
        "at": iso(a.created_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": iso(a.acknowledged_at),
    }


def list_alerts(
    session: Session, *, open_only: bool = True, security_only: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """Newest alerts first; by default only those not yet acknowledged."""
    stmt = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(Alert.acknowledged_by.is_(None))
    if security_only:
        stmt = stmt.where(Alert.security.is_(True))
    return [alert_view(a) for a in session.scalars(stmt)]


def acknowledge_alert(session: Session, alert_id: int, actor: str) -> dict[str, Any]:
    """Mark an alert handled once (a second ack is a conflict), audit it and tell every console."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", "alert_not_found")
    now = utcnow()
    # Conditional update: two staff pressing "acknowledge" at once cannot both succeed.
    done: int = session.execute(  # type: ignore[attr-defined]
        update(Alert)
        .where(Alert.id == alert_id, Alert.acknowledged_by.is_(None))
        .values(acknowledged_by=actor, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(f"alert {alert_id} was already acknowledged", "already_acknowledged")
    session.refresh(alert)
    audit(session, actor, "alert_acknowledged", f"alert:{alert_id}", alert.kind)
    rooms = ["console", "security"] if alert.security else ["console"]
    emit(session, "alert_acknowledged", {"id": alert_id, "by": actor, "at": iso(now)}, rooms)
    return alert_view(alert)


def recent_events(session: Session, rooms: list[str], limit: int = 50) -> list[dict[str, Any]]:
    """The newest events addressed to any of `rooms`, oldest first (to fill the feed on load)."""
    wanted = set(rooms)
    rows = session.scalars(select(DomainEvent).order_by(DomainEvent.id.desc()).limit(limit * 4))
    picked = [r for r in rows if wanted.intersection(r.rooms.split())][:limit]
    return [
        {"seq": r.id, "event": r.name, "at": iso(r.created_at), "data": json.loads(r.payload)}
        for r in reversed(picked)
    ]
