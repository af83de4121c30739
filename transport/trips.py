"""A driver's side of a trip: read own trips, acknowledge, accept, board, depart, drop off.

State machine (TRIP_STATES): assigned -> accepted -> at_pickup -> departed -> dropped_off.
Passengers: waiting -> on_board (confirmed by face or entrance code through the identification
service, see `transport.verify`) | no_show; on_board -> dropped_off at the end. Journey stages:
boarding a pickup records `arrived` (if the airport desk did not) and `picked_up`; dropping off
a departure records `departed`. A kiosk reads a delegate's trips only with an identification
ticket it was issued (`trips_for_caller`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import identification
from checkin.journey import record_stage
from core.accounts import Principal
from core.clock import utcnow
from core.errors import Forbidden
from core.events import emit, was_sent_to
from core.runtime import Runtime
from models.attendee import Attendee
from models.db import transaction
from models.transport import Driver, Trip, TripPassenger
from transport.errors import NotYourTrip, TransportConflict, TransportError, TransportNotFound
from transport.snapshot import publish_trip, trip_snapshot
from transport.verify import verify_code, verify_face

# action -> (states it may start from, state it leads to)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("assigned", "planned"), "accepted"),
    "arrive": (("accepted",), "at_pickup"),
    "depart": (("at_pickup",), "departed"),
    "drop_off": (("departed",), "dropped_off"),
    # Nobody came: a trip whose every rider is a no-show is closed and its vehicle is free again.
    "close": (("at_pickup",), "cancelled"),
}
ACTIVE = ("planned", "assigned", "accepted", "at_pickup", "departed")
# Identification tickets a kiosk may show to read a delegate's trips (not used up by reading).
JOURNEY_TICKETS = ("journey", "assistant", "gate")


def driver_trip(session: Session, driver_id: int, trip_id: int) -> Trip:
    """A trip of this driver; another driver's trip is refused, not revealed."""
    trip = session.get(Trip, trip_id)
    if trip is None:
        raise TransportNotFound(f"no trip {trip_id}", "trip_not_found")
    if trip.driver_id != driver_id:
        raise NotYourTrip(trip_id)
    return trip


def driver_trips(
    session: Session, driver_id: int, *, include_done: bool = False
) -> list[dict[str, Any]]:
    """The driver's trips in time order (active ones unless asked for all)."""
    query = select(Trip).where(Trip.driver_id == driver_id).order_by(Trip.starts_at, Trip.id)
    if not include_done:
        query = query.where(Trip.state.in_(ACTIVE))
    return [trip_snapshot(session, t) for t in session.scalars(query)]


def driver_overview(session: Session, driver_id: int) -> dict[str, Any]:
    """What the phone loads on start: active trips and where event catch-up resumes."""
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise TransportNotFound(f"no driver {driver_id}", "driver_not_found")
    return {
        "driver_id": driver_id,
        "acked_seq": driver.acked_seq,
        "trips": driver_trips(session, driver_id),
    }


def attendee_trips(session: Session, attendee_id: int) -> list[dict[str, Any]]:
    """The attendee's trips that still count (for kiosks and their phone page)."""
    query = (
        select(Trip)
        .join(TripPassenger, TripPassenger.trip_id == Trip.id)
        .where(TripPassenger.attendee_id == attendee_id, Trip.state != "cancelled")
        .order_by(Trip.starts_at)
    )
    out = []
    for trip in session.scalars(query):
        snap = trip_snapshot(session, trip)
        snap["passengers"] = [p for p in snap["passengers"] if p["attendee_id"] == attendee_id]
        out.append(snap)
    return out


def trips_for_caller(
    session: Session, rt: Runtime, principal: Principal, attendee_id: int, ticket: str | None
) -> list[dict[str, Any]]:
    """An attendee's trips: staff ask by id; a device needs a ticket it was issued naming them."""
    if principal.kind == "device":
        named = identification.redeem_ticket(
            session, rt, principal, ticket or "", JOURNEY_TICKETS, single_use=False
        )
        if named != attendee_id:
            raise Forbidden("this ticket names another attendee", "ticket_other_attendee")
    return attendee_trips(session, attendee_id)


def advance_trip(session: Session, driver_id: int, trip_id: int, action: str) -> Trip:
    """Move the driver's trip one step along its state machine."""
    if action not in ACTIONS:
        raise TransportError(f"unknown action {action!r}", "invalid_action")
    trip = driver_trip(session, driver_id, trip_id)
    sources, target = ACTIONS[action]
    if trip.state not in sources:
        raise TransportConflict(
            f"a trip that is {trip.state} cannot {action}", "invalid_transition"
        )
    riders = session.scalars(select(TripPassenger).where(TripPassenger.trip_id == trip.id)).all()
    if action == "depart" and any(tp.state == "waiting" for tp in riders):
        raise TransportConflict("confirm or mark as no-show every passenger", "passengers_waiting")
    if action == "depart" and not any(tp.state == "on_board" for tp in riders):
        raise TransportConflict("nobody is on board yet", "nobody_on_board")
    if action == "close":
        _require_nobody_came(riders)
    trip.state = target
    trip.version += 1
    trip.updated_at = utcnow()
    if action == "drop_off":
        _drop_everyone(session, trip, riders, f"driver:{driver_id}")
    publish_trip(session, trip, "trip_updated")
    if action == "close":
        no_shows = [tp.attendee_id for tp in riders]
        emit(
            session,
            "trip_closed_no_show",
            {"trip_id": trip.id, "driver_id": driver_id, "attendee_ids": no_shows},
            ["console"],
        )
    return trip


def _require_nobody_came(riders: Any) -> None:
    """A trip may be closed empty only when every rider was marked a no-show."""
    if any(tp.state == "waiting" for tp in riders):
        raise TransportConflict("confirm or mark as no-show every passenger", "passengers_waiting")
    if any(tp.state == "on_board" for tp in riders):
        raise TransportConflict("passengers are on board: depart instead", "riders_on_board")


def _drop_everyone(session: Session, trip: Trip, riders: Any, actor: str) -> None:
    for tp in riders:
        if tp.state == "on_board":
            tp.state = "dropped_off"
            if trip.kind == "departure":
                record_stage(session, tp.attendee_id, "departed", actor, detail=f"trip {trip.id}")


def seat_of(session: Session, trip: Trip, attendee_id: int) -> TripPassenger:
    seat = session.scalar(
        select(TripPassenger).where(
            TripPassenger.trip_id == trip.id, TripPassenger.attendee_id == attendee_id
        )
    )
    if seat is None:
        raise TransportNotFound(
            f"attendee {attendee_id} is not on trip {trip.id}", "not_a_passenger"
        )
    return seat


def confirm_passenger(
    rt: Runtime, principal: Principal, trip_id: int, attendee_id: int, method: str, proof: str
) -> dict[str, Any]:
    """Check the passenger's face photo or entrance code, then mark them on board.

    The driver picks the passenger on the manifest; the identification service confirms it is
    them (a photo 1:1, or a code naming them, used once). This use case opens its own short
    transactions: the face service reads its gallery in a session of its own, which must not
    wait behind our write lock (SQLite has one writer).
    """
    if method not in ("face", "code"):
        raise TransportError("method must be face or code", "invalid_method")
    policy = identification.load_policy(rt, principal)
    identification.require_place(policy, "boarding")
    driver_id = policy.driver_id
    assert driver_id is not None  # require_place refuses a phone without a driver
    with transaction(rt.sessions, read_only=True) as db:
        seat_of(db, driver_trip(db, driver_id, trip_id), attendee_id)  # refuse before checking
        refuse_revoked(db, attendee_id)
    code: identification.Identified | None = None
    if method == "face":
        verify_face(rt, policy, proof, attendee_id)
    else:
        code = verify_code(rt, policy, proof, attendee_id)
    with transaction(rt.sessions) as db:
        trip = board_passenger(db, driver_id, trip_id, attendee_id, method)
        if code is not None:  # a code boards once: a replay is refused, even on this trip
            identification.record_code_use(db, code, f"trip:{trip_id}", utcnow())
        return trip_snapshot(db, trip)


def refuse_revoked(session: Session, attendee_id: int) -> None:
    """A passenger whose access was withdrawn does not board (403 `attendee_revoked`)."""
    attendee = session.get(Attendee, attendee_id)
    if attendee is None or attendee.revoked:
        raise Forbidden("please see the front desk", "attendee_revoked")


def board_passenger(
    session: Session, driver_id: int, trip_id: int, attendee_id: int, method: str
) -> Trip:
    """Mark a passenger on board after their face or entrance code was verified (by the caller)."""
    trip = driver_trip(session, driver_id, trip_id)
    refuse_revoked(session, attendee_id)  # again: access may be withdrawn while verifying
    if trip.state != "at_pickup":
        raise TransportConflict("board passengers at the pickup point", "not_at_pickup")
    seat = seat_of(session, trip, attendee_id)
    if seat.state == "on_board":
        return trip  # the same confirmation twice (a retry) changes nothing
    seat.state, seat.confirmed_by, seat.boarded_at = "on_board", method, utcnow()
    actor = f"driver:{driver_id}"
    if trip.kind == "pickup":
        record_stage(session, attendee_id, "arrived", actor, detail=f"met by trip {trip.id}")
        record_stage(session, attendee_id, "picked_up", actor, detail=f"trip {trip.id}, {method}")
    trip.version += 1
    publish_trip(session, trip, "trip_updated")
    return trip


def mark_no_show(session: Session, driver_id: int, trip_id: int, attendee_id: int) -> Trip:
    """A passenger did not come to the meeting point; the console is told."""
    trip = driver_trip(session, driver_id, trip_id)
    if trip.state != "at_pickup":
        raise TransportConflict("mark no-shows at the pickup point", "not_at_pickup")
    seat = seat_of(session, trip, attendee_id)
    if seat.state != "waiting":
        raise TransportConflict(f"the passenger is {seat.state}", "invalid_transition")
    seat.state = "no_show"
    trip.version += 1
    publish_trip(session, trip, "trip_updated")
    emit(
        session, "passenger_no_show", {"trip_id": trip.id, "attendee_id": attendee_id}, ["console"]
    )
    return trip


def acknowledge(
    session: Session, driver_id: int, seq: int, trips: dict[int, int]
) -> dict[str, int]:
    """Store what the phone received: its last event number and the trip versions it shows.

    `acked_seq` moves only forward, and only to an event that was sent to this driver's room:
    the console reads it as "the phone has its latest assignment", so an invented number must
    not make a phone look up to date. An older seq (a late retry) changes nothing.
    """
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise TransportNotFound(f"no driver {driver_id}", "driver_not_found")
    if seq > driver.acked_seq:
        if not was_sent_to(session, seq, f"driver:{driver_id}"):
            raise TransportError(f"event {seq} was not sent to this driver", "ack_invalid")
        driver.acked_seq = seq
    now = utcnow()
    for trip_id, version in trips.items():
        trip = session.get(Trip, trip_id)
        if trip is not None and trip.driver_id == driver_id and version > trip.acked_version:
            trip.acked_version = min(version, trip.version)
            trip.acked_at = now
    return {"acked_seq": driver.acked_seq}
