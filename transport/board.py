"""Read models for the staff console: the arrivals board, stranded passengers, silent drivers."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import iso, utcnow
from core.masking import mask_name
from models.attendee import Attendee
from models.transport import Driver, Flight, Trip, TripPassenger

LATE_MINUTES = 15


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def arrivals_board(
    session: Session, *, now: datetime | None = None, hours: int = 6, place: str | None = None
) -> dict[str, Any]:
    """Flights landing from two hours ago to `hours` ahead, with where their passengers are."""
    now = now or utcnow()
    legs = session.scalars(
        select(Flight).where(Flight.kind == "arrival").order_by(Flight.scheduled_at, Flight.id)
    ).all()
    seats = {
        tp.flight_id: (tp, state)
        for tp, state in session.execute(
            select(TripPassenger, Trip.state).join(Trip, Trip.id == TripPassenger.trip_id)
        )
    }
    groups: dict[tuple[str, datetime], list[Flight]] = defaultdict(list)
    for leg in legs:
        t = leg.estimated_at or leg.scheduled_at
        if now - timedelta(hours=2) <= t <= now + timedelta(hours=hours) and place in (
            None,
            leg.place,
        ):
            groups[(leg.number, leg.scheduled_at)].append(leg)
    rows = [_flight_row(g, seats, now) for g in groups.values()]
    rows.sort(key=lambda r: (r["estimated_at"] or r["scheduled_at"], r["number"]))
    return {
        "now": iso(now),
        "flights": rows,
        "late_flights": [r for r in rows if r["delay_minutes"] >= LATE_MINUTES],
        "totals": {
            k: sum(r[k] for r in rows)
            for k in ("passengers", "waiting", "on_board", "at_hotel", "without_trip")
        },
    }


def _flight_row(legs: list[Flight], seats: dict[int, Any], now: datetime) -> dict[str, Any]:
    first = legs[0]
    eta = first.estimated_at or first.scheduled_at
    counts = {"waiting": 0, "on_board": 0, "at_hotel": 0, "without_trip": 0, "no_show": 0}
    for leg in legs:
        seat = seats.get(leg.id)
        if seat is None:
            counts["without_trip"] += 1
        elif seat[0].state == "dropped_off":
            counts["at_hotel"] += 1
        elif seat[0].state in ("on_board", "no_show"):
            counts[seat[0].state] += 1
        else:
            counts["waiting"] += 1
    landed = first.landed_at
    waiting_for = _minutes(now - landed) if landed and counts["waiting"] else 0
    return {
        "flight_id": first.id,
        "number": first.number,
        "place": first.place,
        "terminal": first.terminal,
        "international": first.international,
        "scheduled_at": iso(first.scheduled_at),
        "estimated_at": iso(first.estimated_at),
        "landed_at": iso(landed),
        "delay_minutes": _minutes(eta - first.scheduled_at),
        "passengers": len(legs),
        "waiting_minutes": waiting_for,
        **counts,
    }


def passengers_without_trip(
    session: Session, kind: str = "arrival", limit: int = 200
) -> list[dict[str, Any]]:
    """Legs that no trip carries, soonest first, with masked names."""
    rows = session.execute(
        select(Flight, Attendee.name, Attendee.category)
        .join(Attendee, Attendee.id == Flight.attendee_id)
        .where(Flight.kind == kind, Flight.id.not_in(select(TripPassenger.flight_id)))
        .order_by(Flight.scheduled_at, Flight.id)
        .limit(limit)
    ).all()
    return [
        {
            "attendee_id": leg.attendee_id,
            "name": mask_name(name),
            "category": category,
            "flight_id": leg.id,
            "number": leg.number,
            "place": leg.place,
            "scheduled_at": iso(leg.scheduled_at),
            "estimated_at": iso(leg.estimated_at),
        }
        for leg, name, category in rows
    ]


def drivers_not_accepted(
    session: Session, *, now: datetime | None = None, hours: int = 12
) -> list[dict[str, Any]]:
    """Drivers with a trip soon that they have not accepted, and whether it reached them."""
    now = now or utcnow()
    rows = session.execute(
        select(Trip, Driver.name)
        .join(Driver, Driver.id == Trip.driver_id)
        .where(
            Trip.state.in_(("planned", "assigned")),
            Trip.starts_at <= now + timedelta(hours=hours),
            Trip.ends_at >= now,
        )
        .order_by(Trip.starts_at, Trip.id)
    ).all()
    return [
        {
            "driver_id": trip.driver_id,
            "driver": mask_name(name),
            "trip_id": trip.id,
            "starts_at": iso(trip.starts_at),
            "version": trip.version,
            "received": trip.acked_version >= trip.version,
            "acked_at": iso(trip.acked_at),
        }
        for trip, name in rows
    ]
