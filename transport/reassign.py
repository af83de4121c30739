"""Staff reassign the riders of a trip a driver closed because they did not come.

A driver marks riders no-show at the pickup point and closes the trip (`trips.advance_trip`,
event `trip_closed_no_show`); the riders still need a ride. `reassign_no_shows` removes their
no-show seats and plans their legs again with the re-planner (`service.replan_legs`: read,
solve with no transaction open, write only if what was read is unchanged). A leg whose window
has started already is planned from now: a late arrival is ready now (their window is the
usual one for a flight that landed `baggage` minutes ago), a departure rider is driven from
now on. Riders no car is free for stay without a trip, are named in the answer and raise
`passenger_without_trip` with the window they need. Seats go and trips are made in one
transaction: on any refusal nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.clock import iso, utcnow
from core.events import emit
from models.transport import Flight, Trip, TripPassenger
from transport.errors import TransportConflict, TransportNotFound
from transport.requests import ReplanInput, Settings, read_replan, window
from transport.service import replan_read

# A trip whose pickup is over: the driver closed it (nobody came) or left without someone.
CLOSED = ("cancelled", "departed", "dropped_off")


@dataclass(frozen=True)
class _NoShows:
    seats: tuple[int, ...]  # trip_passenger ids
    legs: tuple[int, ...]  # flight ids
    etas: dict[int, datetime]  # legs planned from now: the time their window is built from


def _no_shows(session: Session, trip_id: int, s: Settings, now: datetime, lock: bool) -> _NoShows:
    """The trip's no-show seats (404 trip_not_found, 409 trip_not_closed / no_no_shows)."""
    query = select(Trip).where(Trip.id == trip_id)
    trip = session.scalar(query.with_for_update() if lock else query)
    if trip is None:
        raise TransportNotFound(f"no trip {trip_id}", "trip_not_found")
    if trip.state not in CLOSED:
        raise TransportConflict(
            f"the trip is {trip.state}: its driver may still board its riders", "trip_not_closed"
        )
    seats = session.scalars(
        select(TripPassenger)
        .where(TripPassenger.trip_id == trip_id, TripPassenger.state == "no_show")
        .order_by(TripPassenger.id)
    ).all()
    if not seats:
        raise TransportConflict("the trip has no rider marked no-show", "no_no_shows")
    legs = session.scalars(select(Flight).where(Flight.id.in_([tp.flight_id for tp in seats])))
    return _NoShows(
        tuple(tp.id for tp in seats),
        tuple(tp.flight_id for tp in seats),
        {leg.id: at for leg in legs if (at := from_now(leg, s, now)) is not None},
    )


def from_now(leg: Flight, s: Settings, now: datetime) -> datetime | None:
    """The leg time whose window starts now, when the leg's own window has started already."""
    lo, _hi = window(leg, s)
    if lo >= now:
        return None
    shift = window(leg, s, now)[0] - now  # how far a window starts from its leg time
    return now - shift


def reassign_no_shows(
    session: Session,
    trip_id: int,
    actor: str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Plan the no-show riders of a closed trip again; which rider got which trip, who none.

    The session must have no transaction open; the plan, the removed seats, the audit entry and
    the console event are left in its transaction for the caller to commit.
    """
    s, now = settings or Settings(), now or utcnow()
    reads: list[tuple[_NoShows, ReplanInput]] = []  # the last one is what gets written

    def read(lock: bool) -> ReplanInput:
        shows = _no_shows(session, trip_id, s, now, lock)
        job = read_replan(session, shows.legs, s, shows.etas, lock=lock, dropping=shows.seats)
        reads.append((shows, job))
        return job

    report = replan_read(session, read, s, f"trip {trip_id}'s no-shows were planned")
    session.flush()
    shows, job = reads[-1]
    riders = _riders(session, job, shows, set(report.unplanned))
    audit(
        session,
        actor,
        "trip_no_shows_reassigned",
        f"trip:{trip_id}",
        reason=", ".join(f"{r['attendee_id']}->{r['trip_id'] or '-'}" for r in riders),
    )
    answer = {"trip_id": trip_id, "riders": riders, "report": report.to_dict()}
    emit(session, "trip_no_shows_reassigned", {**answer, "by": actor}, ["console"])
    return answer


def _riders(
    session: Session, job: ReplanInput, shows: _NoShows, unplanned: set[int]
) -> list[dict[str, Any]]:
    """Per no-show rider: the trip that carries their leg now, or none and the window needed."""
    carried = dict(
        session.execute(
            select(TripPassenger.flight_id, TripPassenger.trip_id)
            .join(Trip, Trip.id == TripPassenger.trip_id)
            .where(TripPassenger.flight_id.in_(shows.legs), Trip.state != "cancelled")
        ).all()
    )
    out = []
    for r in sorted(job.requests, key=lambda r: r.key):
        if r.key not in shows.legs:
            continue  # another rider of a re-planned open trip, not one of ours
        trip = carried.get(r.key)
        row: dict[str, Any] = {"attendee_id": r.attendee_id, "flight_id": r.key, "trip_id": trip}
        if trip is None or r.attendee_id in unplanned:
            row.update(trip_id=None, reason="no_vehicle_free", window=[iso(r.lo), iso(r.hi)])
        out.append(row)
    return out
