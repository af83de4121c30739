"""A flight's time changed: keep every promised trip that still works, move only who cannot ride.

`change_estimate` stores a new estimate and re-plans with `transport.promises`: kept promises
change nothing; guests whose trip no longer works move alone (free seat, else the kerb planner);
the wider re-plan is written only when it shortens someone's kerb wait and lengthens nobody's.
The decision goes into the report (`decision`) and the console's `flight_estimate_changed`
(`replan`). Both solves run with no transaction open; the chosen plan is written in the
session's next transaction only if a fresh read gives the same marker (docs/architecture.md,
"Transactions").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from models.db import reading
from models.transport import Flight, Trip, TripPassenger
from transport import service
from transport.errors import PlanConflict, TransportConflict, TransportError
from transport.notices import announce_estimate
from transport.promises import Decision, DelayInput, Solved, read_delay, solve
from transport.requests import Settings
from transport.snapshot import publish_trips


def change_estimate(
    session: Session,
    flight_id: int,
    estimated_at: datetime,
    actor: str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> service.PlanReport:
    """Set a flight's estimated time and re-plan only the trips it touches.

    Promised trips that still work are kept; only guests who can no longer make theirs move;
    a wider re-plan is taken only if it shortens someone's wait and lengthens nobody's
    (`transport.promises`). The session must have no transaction open; the new time and the
    new plan are written together in its last transaction, which the caller commits.
    """
    now, s = now or utcnow(), settings or Settings()
    if estimated_at < now - timedelta(minutes=5):
        raise TransportError("the estimated time is in the past", "time_in_past")
    with reading(session):
        ids = [leg.id for leg in _unlanded_legs(session, flight_id)]
    report, decision = replan_delay(session, ids, s, dict.fromkeys(ids, estimated_at))
    report.decision = asdict(decision)
    # The legs read above, still not landed and at their old time: the re-plan's marker says so.
    legs = session.scalars(select(Flight).where(Flight.id.in_(ids)).order_by(Flight.id)).all()
    first = legs[0]
    old = first.estimated_at or first.scheduled_at
    for leg in legs:
        leg.estimated_at = estimated_at
    announce_estimate(session, first, old, estimated_at, actor, len(legs), report.decision)
    return report


def _unlanded_legs(session: Session, flight_id: int) -> list[Flight]:
    legs = service.flight_legs(session, flight_id)
    if any(leg.landed_at for leg in legs):
        raise TransportConflict("this flight has landed; record no more estimates", "flight_landed")
    return legs


def replan_delay(
    session: Session, leg_ids: Sequence[int], s: Settings, etas: Mapping[int, datetime]
) -> tuple[service.PlanReport, Decision]:
    """Solve outside any transaction, write the chosen plan in the next (left open)."""
    for _attempt in range(service.ATTEMPTS):
        with reading(session):
            before = read_delay(session, leg_ids, s, etas)
            shared = service.sharing(session, s)
        solved = solve(before, s, shared)
        session.expire_all()
        current = read_delay(session, leg_ids, s, etas, lock=True)
        if current.marker == before.marker:
            if solved.decision.wider == "accepted" and solved.wide is not None:
                report = service._apply_replan(session, current.wide, solved.wide)
            else:
                report = _apply_narrow(session, current, solved)
            return report, solved.decision
        session.rollback()
    raise PlanConflict(f"the trips changed while a delay was re-planned, {service.ATTEMPTS} times")


def _apply_narrow(session: Session, job: DelayInput, solved: Solved) -> service.PlanReport:
    """Move the moved guests only: out of their trips, into free seats or new trips."""
    moved = {r.key for r in job.moved}
    emptied = job.emptied()
    session.execute(delete(TripPassenger).where(TripPassenger.flight_id.in_(moved)))
    touched = {t for leg, t, _at in job.promised if leg in moved} - emptied
    by_key = {r.key: r for r in job.moved}
    for key, seat in solved.seated.items():
        r = by_key[key]
        session.add(TripPassenger(trip_id=seat.trip_id, attendee_id=r.attendee_id, flight_id=key))
        touched.add(seat.trip_id)
    changes = []
    for trip in session.scalars(select(Trip).where(Trip.id.in_(touched)).order_by(Trip.id)):
        trip.version, trip.updated_at = trip.version + 1, utcnow()
        changes.append((trip, "trip_updated"))
    publish_trips(session, changes)
    report = service.PlanReport(job.wide.kind, legs=len(job.moved))
    rest = [r for r in job.moved if r.key not in solved.seated]
    gone = session.scalars(select(Trip).where(Trip.id.in_(emptied)).order_by(Trip.id)).all()
    service._apply(session, rest, list(gone), solved.narrow, report)
    report.trips_updated += len(changes)
    return report
