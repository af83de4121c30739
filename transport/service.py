"""Transport use cases: plan pickups and departures, re-plan legs (a flight's estimate changing
is `transport.delays`, which builds on the writers here).

Each function takes plain values and the caller's session and publishes events that go out
after commit: `trip_assigned`, `trip_updated` and `trip_cancelled` to the driver's room and the
console; `flight_estimate_changed` and alerts to the console. Trips a driver has started (at
the pickup point, departed, dropped off) are never changed by planning.

No planning holds the write lock for the solve (docs/architecture.md, "Transactions"): bulk
planning (`plan_pickups`, `plan_departures`) and re-planning (`delays.change_estimate`,
`replan_attendee`, `replan_legs`) read in a short read-only transaction, solve with none open,
and apply in the session's next transaction (the caller commits) only if what they read is
unchanged; otherwise they try again, up to ATTEMPTS times, then raise `plan_conflict` having
stored nothing. `plan_pickups`/`plan_departures` refuse a session with a transaction already
open. Only the seed, which writes the legs in its one open transaction and is the only writer
meanwhile, plans inside it (`plan_within_seed`), holding the write lock for the solve.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import utcnow
from models.db import reading
from models.hotel import Hotel
from models.transport import Flight, Trip, TripPassenger
from transport.errors import PlanConflict, TransportConflict, TransportError, TransportNotFound
from transport.notices import alert_unplanned
from transport.planner import Plan, PlannedTrip, Request, plan
from transport.requests import (
    ReplanInput,
    Settings,
    UnplannedInput,
    read_replan,
    read_unplanned,
)
from transport.sharing import Sharing
from transport.snapshot import publish_trips

ATTEMPTS = 3  # reads and solves of one planning run before it reports plan_conflict
KINDS = {"arrival": "pickup", "departure": "departure"}  # leg kind -> report kind
Job = TypeVar("Job", ReplanInput, UnplannedInput)


@dataclass
class PlanReport:
    """What one planning run did (returned by the API and the CLI)."""

    kind: str
    legs: int = 0
    trips_created: int = 0
    trips_updated: int = 0
    trips_cancelled: int = 0
    unplanned: list[int] = field(default_factory=list)  # attendee ids
    skipped_past: int = 0
    seconds: float = 0.0
    solver: dict[str, int] = field(default_factory=dict)
    decision: dict[str, object] = field(default_factory=dict)  # delays: kept or changed, why

    def to_dict(self) -> dict[str, object]:
        out = {**self.__dict__, "seconds": round(self.seconds, 3)}
        if not self.decision:
            del out["decision"]
        return out


def plan_pickups(
    session: Session,
    *,
    day: date | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> PlanReport:
    """Plan every arrival leg that has no trip yet (optionally only those landing on `day`).

    The session must have no transaction open (commit first; otherwise `RuntimeError`): the
    solve runs with none open (see `_plan_new`) and the plan is written in the session's next
    transaction, left open for the caller to commit.
    """
    return _plan_new(session, "arrival", day, now or utcnow(), settings or Settings())


def plan_departures(
    session: Session,
    *,
    day: date | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> PlanReport:
    """Plan every departure leg without a trip, backwards from the flight, grouped by hotel.

    The session must have no transaction open (commit first), like `plan_pickups`.
    """
    return _plan_new(session, "departure", day, now or utcnow(), settings or Settings())


def plan_stranded(session: Session, *, now: datetime | None = None) -> list[PlanReport]:
    """A vehicle became free (a trip closed or cancelled): plan every leg still without a trip,
    pickups and departures. The session must have no transaction open; each kind's plan is
    committed before the next is read."""
    reports = []
    for plan_kind in (plan_pickups, plan_departures):
        reports.append(plan_kind(session, now=now))
        session.commit()
    return reports


def plan_within_seed(
    session: Session,
    kind: str,
    *,
    day: date | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> PlanReport:
    """Plan the legs of `kind` without a trip inside the session's open transaction. Seed only.

    The seed creates the whole demo summit in one transaction: the legs it wrote cannot be read
    from outside before it commits, and nothing else writes while it runs, so the solve runs
    inside, and holding the write lock meanwhile harms no one. Everyone else (the API, the CLI,
    tests) commits first and calls `plan_pickups`/`plan_departures`, which solve outside.
    """
    s, now = settings or Settings(), now or utcnow()
    job = read_unplanned(session, kind, s, day=day, now=now)
    result = plan(job.requests, job.resources, s.time_limit, s.service(), sharing(session, s))
    return _apply_new(session, kind, job, result)


def _plan_new(
    session: Session, kind: str, day: date | None, now: datetime, s: Settings
) -> PlanReport:
    if session.in_transaction():  # a programming error: the solve would hold the write lock
        raise RuntimeError(
            f"plan_{KINDS[kind]}s solves outside any transaction; commit first"
            " (only the seed plans inside its own: plan_within_seed)"
        )
    job, result = _solve_outside(
        session,
        # No lock (PostgreSQL): a leg planned alongside hits the unique ride per leg instead.
        lambda _lock: read_unplanned(session, kind, s, day=day, now=now),
        s,
        f"the {KINDS[kind]}s without a trip were planned",
    )
    return _apply_new(session, kind, job, result)


def _apply_new(session: Session, kind: str, job: UnplannedInput, result: Plan) -> PlanReport:
    report = PlanReport(KINDS[kind], legs=len(job.requests))
    report.skipped_past = job.legs - len(job.requests)
    _apply(session, job.requests, [], result, report)
    return report


def _solve_outside(
    session: Session, read: Callable[[bool], Job], s: Settings, what: str
) -> tuple[Job, Plan]:
    """Read, solve with no transaction open, read again in the write transaction: the fresh
    job and the plan when its marker is unchanged (the write transaction is left open).

    `read(lock)` is called with `lock=True` in the write transaction. The session must have no
    transaction open. Up to ATTEMPTS rounds; then `PlanConflict`.
    """
    for _attempt in range(ATTEMPTS):
        with reading(session):
            before = read(False)
            shared = sharing(session, s)
        result = plan(before.requests, before.resources, s.time_limit, s.service(), shared)
        session.expire_all()  # the write transaction below must see rows afresh, not cached
        current = read(True)
        if current.marker == before.marker:
            return current, result
        session.rollback()  # nothing written yet; let go of the write lock and read again
    raise PlanConflict(f"the trips changed while {what}, {ATTEMPTS} times; try again")


def _apply(
    session: Session,
    requests: Sequence[Request],
    reopened: Sequence[Trip],
    result: Plan,
    report: PlanReport,
) -> None:
    """Store the plan of `requests`, reusing `reopened` trips of one driver, cancel the rest."""
    report.seconds, report.solver = result.seconds, dict(result.stats.__dict__)
    by_key = {r.key: r for r in requests}
    spare = {t.id: t for t in reopened}
    changes: list[tuple[Trip, str]] = []
    seated: list[tuple[Trip, PlannedTrip]] = []
    for planned in result.trips:
        old = next((t for t in spare.values() if t.driver_id == planned.driver_id), None)
        if old is not None:
            del spare[old.id]
            _rewrite(old, planned)
            report.trips_updated += 1
            changes.append((old, "trip_updated"))
        else:
            old = _new_trip(planned)
            session.add(old)
            report.trips_created += 1
            changes.append((old, "trip_assigned"))
        seated.append((old, planned))
    session.flush()  # one flush gives every new trip its id
    for trip, planned in seated:
        _seat(session, trip, [by_key[k] for k in planned.keys])
    try:
        session.flush()
    except IntegrityError as exc:  # one ride per leg (unique flight_id): a planner ran alongside
        raise TransportConflict(
            "another planning run placed some of these passengers; plan again", "concurrent_plan"
        ) from exc
    for trip in spare.values():
        trip.state, trip.version, trip.updated_at = "cancelled", trip.version + 1, utcnow()
        report.trips_cancelled += 1
        changes.append((trip, "trip_cancelled"))
    publish_trips(session, changes)
    report.unplanned = sorted(r.attendee_id for r in result.unplanned)
    alert_unplanned(session, result.unplanned, report.kind)


def _new_trip(p: PlannedTrip) -> Trip:
    return Trip(
        kind=p.kind,
        state="assigned",
        vehicle_id=p.vehicle_id,
        driver_id=p.driver_id,
        place=p.place,
        meeting_point=p.meeting_point,
        hotel_id=p.hotel_id,
        stops=",".join(map(str, p.stops)) or None,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        version=1,
        updated_at=utcnow(),
    )


def _rewrite(trip: Trip, p: PlannedTrip) -> None:
    moved = (trip.starts_at, trip.ends_at) != (p.starts_at, p.ends_at)
    trip.vehicle_id, trip.hotel_id, trip.meeting_point = p.vehicle_id, p.hotel_id, p.meeting_point
    trip.stops = ",".join(map(str, p.stops)) or None
    trip.starts_at, trip.ends_at = p.starts_at, p.ends_at
    trip.version += 1
    trip.updated_at = utcnow()
    if moved and trip.state == "accepted":  # a new time needs the driver's word again
        trip.state = "assigned"


def _seat(session: Session, trip: Trip, requests: Sequence[Request]) -> None:
    for r in requests:
        session.add(TripPassenger(trip_id=trip.id, attendee_id=r.attendee_id, flight_id=r.key))


def flight_legs(session: Session, flight_id: int) -> list[Flight]:
    """All legs of the same flight as leg `flight_id` (same number, kind and schedule)."""
    leg = session.get(Flight, flight_id)
    if leg is None:
        raise TransportNotFound(f"no flight {flight_id}", "flight_not_found")
    return list(
        session.scalars(
            select(Flight)
            .where(
                Flight.number == leg.number,
                Flight.kind == leg.kind,
                Flight.scheduled_at == leg.scheduled_at,
            )
            .order_by(Flight.id)
        )
    )


def carry_landed(
    session: Session, leg_ids: Sequence[int], *, settings: Settings | None = None
) -> PlanReport | None:
    """Landed legs that no open trip carries are planned at once (a free car, or a free seat in
    a car going their way); who still finds none raises `passenger_without_trip` with the
    reason (no vehicle free in their window). None when every leg already had a trip.

    The session must have no transaction open; the plan is left for the caller to commit.
    """
    with reading(session):
        carried = set(
            session.scalars(
                select(TripPassenger.flight_id)
                .join(Trip, Trip.id == TripPassenger.trip_id)
                .where(TripPassenger.flight_id.in_(leg_ids), Trip.state != "cancelled")
            )
        )
    missing = [i for i in leg_ids if i not in carried]
    return replan_legs(session, missing, settings or Settings()) if missing else None


def sharing(session: Session, s: Settings) -> Sharing | None:
    """Hotels with a position may share cars (`Settings.share_trips`); None: one hotel a car."""
    if not s.share_trips:
        return None
    rows = session.execute(select(Hotel.id, Hotel.latitude, Hotel.longitude)).all()
    where = {i: (lat, lon) for i, lat, lon in rows if lat is not None and lon is not None}
    return Sharing(where, ride_factor=s.ride_factor) if len(where) > 1 else None


def replan_attendee(
    session: Session, attendee_id: int, kind: str, *, settings: Settings | None = None
) -> PlanReport:
    """Re-plan one attendee's leg after their plans changed (another hotel, a new time)."""
    if kind not in ("arrival", "departure"):
        raise TransportError("kind must be arrival or departure", "invalid_kind")
    with reading(session):
        leg_id = session.scalar(
            select(Flight.id).where(Flight.attendee_id == attendee_id, Flight.kind == kind)
        )
    if leg_id is None:
        raise TransportNotFound(f"attendee {attendee_id} has no {kind} leg", "flight_not_found")
    return replan_legs(session, [leg_id], settings or Settings())


def replan_legs(
    session: Session,
    leg_ids: Sequence[int],
    s: Settings,
    *,
    etas: Mapping[int, datetime] | None = None,
) -> PlanReport:
    """Re-plan the open trips that carry any of these legs, and plan legs that had none.

    The session must have no transaction open (commit first). The solve runs with none open;
    the plan is written in the session's next transaction, left open for the caller to commit.
    `etas` (leg id -> time) plans as if those legs had that estimated time.
    """
    return replan_read(
        session,
        lambda lock: read_replan(session, leg_ids, s, etas, lock=lock),
        s,
        f"{len(leg_ids)} legs were re-planned",
    )


def replan_read(
    session: Session, read: Callable[[bool], ReplanInput], s: Settings, what: str
) -> PlanReport:
    """Re-plan what `read(lock)` gathers (a `read_replan`), solving outside any transaction,
    as `replan_legs` does; the plan is left in the session's transaction for the caller."""
    job, result = _solve_outside(session, read, s, what)
    return _apply_replan(session, job, result)


def _apply_replan(session: Session, job: ReplanInput, result: Plan) -> PlanReport:
    """Write a re-plan whose inputs were just found unchanged (inside the write transaction)."""
    if job.released:
        session.execute(delete(TripPassenger).where(TripPassenger.id.in_(job.released)))
    reopened = session.scalars(select(Trip).where(Trip.id.in_(job.reopened)).order_by(Trip.id))
    report = PlanReport(job.kind, legs=len(job.requests))
    _apply(session, job.requests, list(reopened), result, report)
    return report
