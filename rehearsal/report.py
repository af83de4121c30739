"""The rehearsal report: where the summit jams, and proof that nothing was lost or doubled.

Figures that describe the summit (queues, waits, vehicles, rooms, denials) come from the plan
and from what the server decided and stored, never from wall-clock timings, so the same seed
gives the same figures. Latencies are reported apart, as operational information.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core.clock import to_local
from core.runtime import Runtime
from models import (
    AccessEvent,
    Attendee,
    DomainEvent,
    Flight,
    Hotel,
    JourneyStep,
    Stay,
    Trip,
    TripPassenger,
)
from rehearsal.actors import Metrics
from rehearsal.plan import Plan


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "mean": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 1),
        "p95": round(_p95(values), 1),
        "max": round(max(values), 1),
    }


def build_report(rt: Runtime, plan: Plan, metrics: Metrics, errors: list[str]) -> dict[str, Any]:
    """Collect every figure of the rehearsal into one JSON-ready dict."""
    with rt.sessions() as db:
        pickups = _pickups(db, set(plan.attendee_ids))
        report: dict[str, Any] = {
            "window": {
                "start_local": to_local(plan.start).isoformat(),
                "end_local": to_local(plan.end).isoformat(),
            },
            "gates": plan.queue_stats,
            "pickup_waves": _pickup_waves(pickups, 2),
            "kerb_waves": _pickup_waves(pickups, 3),
            "pickup_categories": _pickup_categories(pickups),
            "transport": _transport_targets(db, pickups),
            "vehicles_per_hour": _vehicles_per_hour(db),
            "rooms": _rooms(db),
            "denials": _denials(db),
            "journey": _journey(db, set(plan.attendee_ids)),
            "integrity": _integrity(db, metrics),
        }
    report["pickup_p95"] = {w: v["p95"] for w, v in report["pickup_waves"].items()}
    report["vehicles_busy"] = {h: v["vehicles"] for h, v in report["vehicles_per_hour"].items()}
    report["api"] = _api(metrics)
    report["outcomes"] = {f"{k}:{v}": n for (k, v), n in sorted(metrics.outcomes.items())}
    report["errors"] = errors[:50]
    return report


BAGGAGE = {"FZS": 10, "international": 40, "domestic": 25}  # transport.requests.Settings


def _pickups(db: Any, people: set[int]) -> list[tuple[str, str, float, float]]:
    """(wave, category, minutes after landing, kerb minutes) for every pickup rider.

    Wave: the landing hour (local). Kerb: from ready (landing + baggage) until the car leaves.
    """
    rows = db.execute(
        select(
            Flight.attendee_id,
            Flight.place,
            Flight.international,
            Flight.landed_at,
            Flight.estimated_at,
            Flight.scheduled_at,
            Trip.starts_at,
            Attendee.category,
        )
        .join(TripPassenger, TripPassenger.flight_id == Flight.id)
        .join(Trip, Trip.id == TripPassenger.trip_id)
        .join(Attendee, Attendee.id == Flight.attendee_id)
        .where(Trip.kind == "pickup", Trip.state != "cancelled", TripPassenger.state != "no_show")
    ).all()
    out = []
    for attendee_id, place, intl, landed, estimated, scheduled, leaves, category in rows:
        if attendee_id not in people:
            continue
        landing = landed or estimated or scheduled
        bag = BAGGAGE["FZS" if place == "FZS" else "international" if intl else "domestic"]
        after = (leaves - landing).total_seconds() / 60
        out.append((to_local(landing).strftime("%m-%d %H:00"), category, after, after - bag))
    return out


def _pickup_waves(rows: list[tuple[str, str, float, float]], column: int) -> dict[str, Any]:
    """Wait per arrival wave (column 2: after landing, 3: at the kerb)."""
    waves: dict[str, list[float]] = defaultdict(list)
    for wave, _category, after, kerb in rows:
        waves[wave].append(after if column == 2 else kerb)
    return {wave: _summary(w) for wave, w in sorted(waves.items())}


def _pickup_categories(rows: list[tuple[str, str, float, float]]) -> dict[str, Any]:
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _wave, category, after, kerb in rows:
        by[category].append((after, kerb))
    return {
        c: {"after_landing": _summary([a for a, _ in v]), "kerb": _summary([k for _, k in v])}
        for c, v in sorted(by.items())
    }


def _transport_targets(db: Any, rows: list[tuple[str, str, float, float]]) -> dict[str, Any]:
    """The issue's targets: kerb p95, longest wait after landing, riders still without a trip."""
    landed_without = db.scalar(
        select(func.count(Flight.id))
        .outerjoin(TripPassenger, TripPassenger.flight_id == Flight.id)
        .where(Flight.kind == "arrival", Flight.landed_at.is_not(None), TripPassenger.id.is_(None))
    )
    return {
        "kerb": _summary([r[3] for r in rows]),
        "after_landing": _summary([r[2] for r in rows]),
        "over_60_after_landing": sum(r[2] > 60 for r in rows),
        "landed_without_trip": landed_without,
        "left_waiting_at_pickup": db.scalar(  # riders of a trip at the kerb, never boarded
            select(func.count(TripPassenger.id))
            .join(Trip, Trip.id == TripPassenger.trip_id)
            .where(Trip.state == "at_pickup", TripPassenger.state == "waiting")
        ),
    }


def _vehicles_per_hour(db: Any) -> dict[str, dict[str, int]]:
    """Distinct vehicles and drivers busy in each hour (local)."""
    busy: dict[str, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for trip in db.scalars(select(Trip).where(Trip.state != "cancelled")):
        moment = trip.starts_at.replace(minute=0, second=0, microsecond=0)
        while moment < trip.ends_at:
            vehicles, drivers = busy[to_local(moment).strftime("%m-%d %H:00")]
            if trip.vehicle_id:
                vehicles.add(trip.vehicle_id)
            if trip.driver_id:
                drivers.add(trip.driver_id)
            moment += timedelta(hours=1)
    return {h: {"vehicles": len(v), "drivers": len(d)} for h, (v, d) in sorted(busy.items())}


def _rooms(db: Any) -> dict[str, dict[str, int]]:
    """Per hotel: reservations, checked in, checked out, and guests left without a room."""
    out: dict[str, dict[str, int]] = {}
    for hotel in db.scalars(select(Hotel).order_by(Hotel.id)):
        states = Counter(db.scalars(select(Stay.state).where(Stay.hotel_id == hotel.id)))
        out[hotel.name_en] = {"reservations": sum(states.values()), **dict(states)}
    return out


def _denials(db: Any) -> dict[str, int]:
    rows = db.execute(
        select(AccessEvent.reason, func.count())
        .where(AccessEvent.granted.is_(False))
        .group_by(AccessEvent.reason)
    ).all()
    return {reason: n for reason, n in sorted(rows)}


def _journey(db: Any, people: set[int]) -> dict[str, int]:
    rows = db.execute(select(JourneyStep.stage, JourneyStep.attendee_id)).all()
    return dict(sorted(Counter(stage for stage, who in rows if who in people).items()))


def _integrity(db: Any, metrics: Metrics) -> dict[str, Any]:
    """Accepted actions stored once; every console event delivered once."""
    granted_answers = sum(n for (kind, _v), n in metrics.outcomes.items() if kind == "gate_granted")
    granted_rows = db.scalar(
        select(func.count())
        .select_from(AccessEvent)
        .where(AccessEvent.granted.is_(True), AccessEvent.direction == "in")
    )
    nonces = db.scalar(select(func.count(func.distinct(AccessEvent.nonce))))
    events = db.scalar(select(func.count()).select_from(AccessEvent))
    console_rows = [
        r for r in db.scalars(select(DomainEvent.id).where(DomainEvent.rooms.contains("console")))
    ]
    seen = Counter(metrics.console_seqs)
    first = min(seen) if seen else 0
    expected = [s for s in console_rows if s >= first]
    # One venue check-in per attendee and summit day, counted from the rows themselves (a pass
    # stored twice under two nonces would pass the unique nonce column, not this).
    checkins = Counter(
        (who, to_local(at).date())
        for who, at in db.execute(
            select(AccessEvent.attendee_id, AccessEvent.at).where(
                AccessEvent.granted.is_(True), AccessEvent.reason == "checked_in"
            )
        )
    )
    return {
        "venue_checkins": sum(checkins.values()),
        "venue_checkins_doubled": sum(1 for n in checkins.values() if n > 1),
        "gate_grants_answered": granted_answers,
        "gate_grants_stored": granted_rows,
        "access_events": events,
        "access_event_nonces_distinct": nonces,
        "console_events_expected": len(expected),
        "console_events_received": len(seen),
        "console_events_missing": len(set(expected) - set(seen)),
        "console_events_duplicated": sum(1 for n in seen.values() if n > 1),
    }


def _api(metrics: Metrics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for (label, status, code), n in metrics.calls.items():
        statuses[label][f"{status}{':' + code if code else ''}"] += n
    for label, times in sorted(metrics.latencies.items()):
        ms = sorted(t * 1000 for t in times)
        out[label] = {
            "calls": len(ms),
            "p50_ms": round(ms[len(ms) // 2], 1),
            "p95_ms": round(_p95(ms), 1),
            "status": dict(statuses[label]),
        }
    return out
