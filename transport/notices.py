"""What planning tells the console: stranded passengers and changed flight times (masked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts import raise_alert
from core.clock import iso
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.transport import Flight
from transport.planner import Request

DELAY_ALERT_MINUTES = 30
ALERT_LIMIT = 20  # one alert per stranded passenger up to this, then one summary


def alert_unplanned(session: Session, stranded: Sequence[Request], kind: str) -> None:
    """Raise alerts for passengers the planner found no car for."""
    if not stranded:
        return
    names = dict(
        session.execute(
            select(Attendee.id, Attendee.name).where(
                Attendee.id.in_([r.attendee_id for r in stranded[:ALERT_LIMIT]])
            )
        ).all()
    )
    for r in stranded[:ALERT_LIMIT]:
        raise_alert(
            session,
            "passenger_without_trip",
            f"{mask_name(names.get(r.attendee_id, ''))}: no {kind} vehicle free "
            f"({r.place}, {iso(r.lo)} - {iso(r.hi)})",
            attendee_id=r.attendee_id,
            params={"kind": kind, "place": r.place, "from": iso(r.lo), "to": iso(r.hi)},
        )
    if len(stranded) > ALERT_LIMIT:
        raise_alert(
            session,
            "passengers_without_trip",
            f"{len(stranded)} passengers have no {kind} trip",
            severity="critical",
            params={"count": len(stranded), "kind": kind},
        )


def announce_estimate(
    session: Session,
    leg: Flight,
    old: datetime,
    new: datetime,
    actor: str,
    count: int,
    decision: Mapping[str, object] | None = None,
) -> None:
    """Tell the console a flight's time changed (and what the re-plan kept or changed, why);
    a long delay raises an alert."""
    delay = int((new - leg.scheduled_at).total_seconds() // 60)
    payload = {
        "flight_id": leg.id,
        "number": leg.number,
        "kind": leg.kind,
        "place": leg.place,
        "terminal": leg.terminal,
        "scheduled_at": iso(leg.scheduled_at),
        "previous_at": iso(old),
        "estimated_at": iso(new),
        "delay_minutes": delay,
        "passengers": count,
        "by": actor,
        "replan": dict(decision or {}),
    }
    emit(session, "flight_estimate_changed", payload, ["console"])
    if delay >= DELAY_ALERT_MINUTES:
        raise_alert(
            session,
            "flight_delayed",
            f"{leg.number} {leg.place} {leg.terminal}: {delay} min late, {count} passengers",
        )
