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
from models import AccessEvent, DomainEvent, Flight, Hotel, JourneyStep, Stay, Trip, TripPassenger
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
        report: dict[str, Any] = {
            "window": {
                "start_local": to_local(plan.start).isoformat(),
                "end_local": to_local(plan.end).isoformat(),
            },
            "gates": plan.queue_stats,
            "pickup_waves": _pickup_waves(db, set(plan.attendee_ids)),
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


def _pickup_waves(db: Any, people: set[int]) -> dict[str, dict[str, float]]:
    """Minutes from landing until the car leaves, per arrival wave (landing hour, local)."""
    rows = db.execute(
        select(
            Flight.attendee_id,
            Flight.landed_at,
            Flight.estimated_at,
            Flight.scheduled_at,
            Trip.starts_at,
        )
        .join(TripPassenger, TripPassenger.flight_id == Flight.id)
        .join(Trip, Trip.id == TripPassenger.trip_id)
        .where(Trip.kind == "pickup", Trip.state != "cancelled", TripPassenger.state != "no_show")
    ).all()
    waves: dict[str, list[float]] = defaultdict(list)
    for attendee_id, landed, estimated, scheduled, leaves in rows:
        if attendee_id not in people:
            continue
        landing = landed or estimated or scheduled
        waves[to_local(landing).strftime("%m-%d %H:00")].append(
            (leaves - landing).total_seconds() / 60
        )
    return {wave: _summary(w) for wave, w in sorted(waves.items())}


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
    return {
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
