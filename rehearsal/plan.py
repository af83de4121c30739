"""What happens when: a deterministic plan of the summit's events, from the summit's own data.

The plan is built from the (copied) database before the simulation starts: flights and their
landing times (with the delays a scenario asks for), and for each summit day which sessions each
attendee attends and when they reach the gate. Gate queues follow a simple, reproducible model:
each gate has `lanes` lanes that take `service_seconds` per person.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local
from models import AgendaSession, Attendee, Flight, Gate, Zone


@dataclass(frozen=True)
class Scenario:
    """The knobs of one rehearsal (what-if settings)."""

    seed: int = 7
    speed: float = 60.0
    delay_share: float = 0.0  # share of flights (by number and time) made late at run time
    delay_minutes: int = 120
    closed_gates: tuple[str, ...] = ()  # gate codes that are closed for the whole rehearsal
    lanes: int = 2  # lanes per gate
    service_seconds: float = 6.0  # time one person needs at a lane
    question_share: float = 0.1  # attendees who ask a kiosk question
    attendee_limit: int | None = None  # rehearse only the first N attendees (quick runs)
    vehicles: int | None = None  # demo fleet size (None: the seed's 60), a what-if


@dataclass(frozen=True)
class Landing:
    number: str
    place: str
    scheduled: datetime
    landing: datetime  # when it really lands in this rehearsal
    leg_ids: tuple[int, ...]
    delayed_by: int  # minutes, added by the scenario at run time
    announce_at: datetime  # when the airport desk learns of the delay


@dataclass(frozen=True)
class GateVisit:
    attendee_id: int
    gate_id: int
    gate_code: str
    zone_id: int
    arrive: datetime  # reaches the back of the queue
    served: datetime  # reaches the lane: the pass request is made now
    leave: datetime  # leaves the zone again (exit gate), after the session
    exit_gate_id: int | None


@dataclass
class Plan:
    scenario: Scenario
    start: datetime
    end: datetime
    attendee_ids: list[int]
    landings: list[Landing] = field(default_factory=list)
    visits: list[GateVisit] = field(default_factory=list)
    questions: list[tuple[datetime, int]] = field(default_factory=list)
    queue_stats: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_plan(session: Session, scenario: Scenario) -> Plan:
    """Read the summit and decide, deterministically, what every actor will do."""
    rng = random.Random(scenario.seed)
    people = session.scalars(select(Attendee).order_by(Attendee.id)).all()
    if scenario.attendee_limit:
        people = people[: scenario.attendee_limit]
    ids = [p.id for p in people]
    chosen = set(ids)
    legs = [
        f for f in session.scalars(select(Flight).order_by(Flight.id)) if f.attendee_id in chosen
    ]
    landings = _landings(rng, [f for f in legs if f.kind == "arrival"], scenario)
    visits = _visits(session, rng, people, scenario)
    times = [x.landing for x in landings] + [v.arrive for v in visits]
    times += [f.scheduled_at for f in legs if f.kind == "departure"]
    start = min(times) - timedelta(hours=1) if times else datetime(2026, 1, 1)
    end = max(times) + timedelta(hours=1) if times else start
    plan = Plan(scenario, start, end, ids, landings, visits)
    plan.questions = sorted(
        (v.served + timedelta(minutes=rng.randrange(5, 30)), v.attendee_id)
        for v in visits
        if rng.random() < scenario.question_share
    )[: max(1, int(len(ids) * scenario.question_share))]
    plan.queue_stats = _queue_stats(visits, scenario)
    return plan


def _landings(rng: random.Random, arrivals: list[Flight], scenario: Scenario) -> list[Landing]:
    groups: dict[tuple[str, datetime], list[Flight]] = defaultdict(list)
    for leg in arrivals:
        groups[(leg.number, leg.scheduled_at)].append(leg)
    out = []
    for (number, scheduled), group in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        expected = group[0].estimated_at or scheduled
        delay = scenario.delay_minutes if rng.random() < scenario.delay_share else 0
        out.append(
            Landing(
                number=number,
                place=group[0].place,
                scheduled=scheduled,
                landing=expected + timedelta(minutes=delay),
                leg_ids=tuple(f.id for f in group),
                delayed_by=delay,
                announce_at=scheduled - timedelta(hours=3),
            )
        )
    return out


def _visits(
    session: Session, rng: random.Random, people: Sequence[Attendee], scenario: Scenario
) -> list[GateVisit]:
    zones = {z.id: z for z in session.scalars(select(Zone))}
    gates = session.scalars(select(Gate).where(Gate.open.is_(True)).order_by(Gate.id)).all()
    entries: dict[int, list[Gate]] = defaultdict(list)
    exits: dict[int, list[Gate]] = defaultdict(list)
    for gate in gates:
        if gate.code in scenario.closed_gates:
            continue
        (entries if gate.direction == "in" else exits)[gate.zone_id].append(gate)
    agenda = session.scalars(select(AgendaSession).order_by(AgendaSession.starts_at)).all()
    by_day: dict[date, list[AgendaSession]] = defaultdict(list)
    for item in agenda:
        by_day[to_local(item.starts_at).date()].append(item)
    arrivals: list[tuple[datetime, int, Gate, AgendaSession]] = []
    for person in people:
        if person.category == "staff":
            continue
        for items in by_day.values():
            allowed = [s for s in items if _admits(zones[s.zone_id], person.category)]
            for item in rng.sample(allowed, k=min(len(allowed), rng.choice((1, 1, 2)))):
                if not entries[item.zone_id]:
                    continue
                gate = rng.choice(entries[item.zone_id])
                arrive = item.starts_at - timedelta(minutes=rng.triangular(2, 45, 15))
                arrivals.append((arrive, person.id, gate, item))
    return _serve(rng, sorted(arrivals, key=lambda a: (a[0], a[1])), exits, scenario)


def _admits(zone: Zone, category: str) -> bool:
    return category in {c.strip() for c in zone.categories.split(",")}


def _serve(
    rng: random.Random,
    arrivals: list[tuple[datetime, int, Gate, AgendaSession]],
    exits: dict[int, list[Gate]],
    scenario: Scenario,
) -> list[GateVisit]:
    """Run each gate's lanes as a queue: first come, first served at the first free lane."""
    lanes: dict[int, list[datetime]] = {}
    service = timedelta(seconds=scenario.service_seconds)
    visits = []
    for arrive, attendee_id, gate, item in arrivals:
        free = lanes.setdefault(gate.id, [arrive] * scenario.lanes)
        lane_free = heapq.heappop(free)
        served = max(arrive, lane_free)
        heapq.heappush(free, served + service)
        out_gates = exits.get(gate.zone_id) or []
        visits.append(
            GateVisit(
                attendee_id=attendee_id,
                gate_id=gate.id,
                gate_code=gate.code,
                zone_id=gate.zone_id,
                arrive=arrive,
                served=served,
                leave=item.ends_at + timedelta(minutes=rng.randrange(0, 15)),
                exit_gate_id=rng.choice(out_gates).id if out_gates else None,
            )
        )
    return visits


def _queue_stats(visits: list[GateVisit], scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Per gate: peak queue length (and when), mean and maximum wait in minutes."""
    stats: dict[str, dict[str, Any]] = {}
    by_gate: dict[str, list[GateVisit]] = defaultdict(list)
    for v in visits:
        by_gate[v.gate_code].append(v)
    for code, group in sorted(by_gate.items()):
        waits = [(v.served - v.arrive).total_seconds() / 60 for v in group]
        changes = sorted([(v.arrive, 1) for v in group] + [(v.served, -1) for v in group])
        depth = peak = 0
        peak_at = group[0].arrive
        for when, step in changes:
            depth += step
            if depth > peak:
                peak, peak_at = depth, when
        stats[code] = {
            "people": len(group),
            "peak_queue": peak,
            "peak_at_local": to_local(peak_at).strftime("%m-%d %H:%M"),
            "mean_wait_min": round(sum(waits) / len(waits), 2),
            "max_wait_min": round(max(waits), 2),
            "lanes": scenario.lanes,
        }
    return stats
