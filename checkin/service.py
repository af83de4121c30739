"""Gate decisions: one access event per client nonce, one check-in per attendee and day.

`decide_pass` takes what a gate concluded about the person in front of it (a `Claim`: an
attendee from a face or a code, or the reason it could not tell), applies the gate's rules in a
fixed order, records the outcome and publishes it. Races between devices are settled by the
database: the access event's nonce is unique, presence flips with a conditional UPDATE that only
one transaction can win, and the daily check-in row is unique on (attendee, day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import presence
from checkin.decision_rules import PassFacts, refusal
from checkin.errors import GRANTED_REASONS, CheckInConflict
from checkin.journey import record_stage
from checkin.rules import zone_access
from checkin.store import insert_ignore
from checkin.watchlist import is_watched
from core.alerts import raise_alert
from core.clock import iso, utcnow
from core.errors import NotFound
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.venue import AccessEvent, CodeUse, Gate, Zone

ALERTS = {
    "watchlist_hit": "critical",
    "liveness_failed": "warning",
    "code_forged": "warning",
    "code_replayed": "warning",
    "face_mismatch": "warning",
}


@dataclass(frozen=True)
class Claim:
    """Who a gate believes is in front of it, or the reason it could not tell."""

    method: str  # face | code | override
    attendee_id: int | None = None
    failure: str | None = None
    code_nonce: str | None = None
    code_expires: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """What a gate shows: granted or not, why, whom (masked), and the day's first check-in."""

    event_id: int
    gate_id: int
    zone_id: int
    granted: bool
    reason: str
    attendee: dict[str, Any] | None
    first_seen: datetime | None
    at: datetime
    method: str
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of the pass API and the payload of gate events."""
        return {
            "event_id": self.event_id,
            "gate_id": self.gate_id,
            "zone_id": self.zone_id,
            "granted": self.granted,
            "reason": self.reason,
            "attendee": self.attendee,
            "first_seen": iso(self.first_seen),
            "at": iso(self.at),
            "method": self.method,
            "replayed": self.replayed,
        }


def masked_attendee(attendee: Attendee | None) -> dict[str, Any] | None:
    if attendee is None:
        return None
    return {"id": attendee.id, "name": mask_name(attendee.name), "category": attendee.category}


def load_gate(session: Session, gate_id: int) -> tuple[Gate, Zone]:
    """The gate and its zone, or NotFound `gate_not_found`."""
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFound(f"no gate {gate_id}", "gate_not_found")
    zone = session.get(Zone, gate.zone_id)
    assert zone is not None  # foreign key
    return gate, zone


def decision_of(session: Session, event: AccessEvent, replayed: bool = False) -> Decision:
    """The decision a recorded access event stands for."""
    attendee = session.get(Attendee, event.attendee_id) if event.attendee_id else None
    seen = presence.first_seen(session, attendee.id, event.at) if attendee else None
    zone_id = session.scalar(select(Gate.zone_id).where(Gate.id == event.gate_id))
    return Decision(
        event.id,
        event.gate_id,
        int(zone_id or 0),
        event.granted,
        event.reason,
        masked_attendee(attendee),
        seen,
        event.at,
        event.method,
        replayed,
    )


def reserve_event(
    session: Session,
    gate: Gate,
    nonce: str,
    method: str,
    actor: str,
    device_id: int | None,
    at: datetime,
    offline: bool,
) -> AccessEvent | None:
    """Claim the client nonce with a placeholder event; None when it was used before."""
    event_id = insert_ignore(
        session,
        AccessEvent,
        {
            "nonce": nonce,
            "gate_id": gate.id,
            "device_id": device_id,
            "method": method,
            "direction": gate.direction,
            "granted": False,
            "reason": "pending",
            "at": at,
            "recorded_at": utcnow(),
            "actor": actor,
            "offline": offline,
        },
        ["nonce"],
        returning=AccessEvent.id,
    )
    return None if event_id is None else session.get(AccessEvent, event_id)


def replayed_decision(session: Session, gate: Gate, nonce: str) -> Decision:
    event = session.scalar(select(AccessEvent).where(AccessEvent.nonce == nonce))
    assert event is not None  # reserve_event just found it
    if event.gate_id != gate.id:
        raise CheckInConflict("this nonce was used by another gate", "nonce_reused")
    return decision_of(session, event, replayed=True)


def pass_facts(session: Session, gate: Gate, zone: Zone, claim: Claim, at: datetime) -> PassFacts:
    """What the database knows about this pass, for `checkin.decision_rules.refusal`."""
    attendee = session.get(Attendee, claim.attendee_id) if claim.attendee_id else None
    return PassFacts(
        at=at,
        direction=gate.direction,
        zone=zone_access(session, zone),
        category=attendee.category if attendee else None,
        gate_open=gate.open,
        failure=claim.failure,
        attendee_known=attendee is not None,
        revoked=attendee is not None and attendee.revoked,
        watched=attendee is not None and is_watched(session, attendee.id),
        code_replayed=_code_used_elsewhere(session, claim, gate),
        already_inside=attendee is not None
        and presence.is_inside(session, attendee.id, zone.id, at),
    )


def _code_used_elsewhere(session: Session, claim: Claim, gate: Gate) -> bool:
    """True when this code's nonce was first used at another gate."""
    if claim.code_nonce is None:
        return False
    first = session.scalar(select(CodeUse.gate_id).where(CodeUse.nonce == claim.code_nonce))
    return first is not None and first != gate.id


def _spend_code(session: Session, claim: Claim, gate: Gate, at: datetime) -> bool:
    """Record the code's first use at this gate; False when another gate got there first."""
    if claim.code_nonce is None or claim.attendee_id is None:
        return True
    values = {
        "nonce": claim.code_nonce,
        "attendee_id": claim.attendee_id,
        "gate_id": gate.id,
        "expires_at": claim.code_expires or at,
        "used_at": at,
    }
    if insert_ignore(session, CodeUse, values, ["nonce"]) is not None:
        return True
    return (
        session.scalar(select(CodeUse.gate_id).where(CodeUse.nonce == claim.code_nonce)) == gate.id
    )


def _refusal(session: Session, gate: Gate, zone: Zone, claim: Claim, at: datetime) -> str | None:
    """The first rule this pass breaks, in the order of `checkin.decision_rules`, or None.

    The facts are read first. Only when the rules let the pass through is the code spent; a
    gate that loses that race to another one answers code_replayed, as the rule would have
    (the presence flip in `decide_pass` settles anti-passback races the same way).
    """
    reason = refusal(pass_facts(session, gate, zone, claim, at))
    if reason is None and gate.direction == "in" and not _spend_code(session, claim, gate, at):
        return "code_replayed"
    return reason


def decide_pass(
    session: Session,
    gate_id: int,
    nonce: str,
    claim: Claim,
    actor: str,
    device_id: int | None = None,
    at: datetime | None = None,
    offline: bool = False,
) -> Decision:
    """Decide and record one pass at a gate; the same nonce again returns the first decision."""
    at = at or utcnow()
    gate, zone = load_gate(session, gate_id)
    event = reserve_event(session, gate, nonce, claim.method, actor, device_id, at, offline)
    if event is None:
        return replayed_decision(session, gate, nonce)
    reason = _refusal(session, gate, zone, claim, at)
    if reason is None and claim.attendee_id is not None:
        if gate.direction == "in":
            reason = presence.enter(session, claim.attendee_id, gate, event.id, at)
        else:
            reason = presence.leave(session, claim.attendee_id, gate, at)
    return finish_event(session, event, gate, zone, claim, reason or "attendee_revoked")


def finish_event(
    session: Session, event: AccessEvent, gate: Gate, zone: Zone, claim: Claim, reason: str
) -> Decision:
    """Fill in a reserved event with its outcome, record the journey stage, publish it."""
    event.attendee_id, event.reason, event.note = claim.attendee_id, reason, claim.note[:500]
    event.granted = reason in GRANTED_REASONS
    session.flush()
    if event.granted and gate.direction == "in" and claim.attendee_id is not None:
        record_stage(
            session,
            claim.attendee_id,
            "venue_checked_in",
            event.actor,
            at=event.at,
            detail=f"access_event:{event.id}",
        )
    decision = decision_of(session, event)
    _publish(session, decision, gate, zone, event)
    return decision


def _publish(session: Session, d: Decision, gate: Gate, zone: Zone, event: AccessEvent) -> None:
    payload = {
        **d.to_dict(),
        "gate": gate.code,
        "zone": zone.code,
        "zone_name_zh": zone.name_zh,
        "zone_name_en": zone.name_en,
        "direction": gate.direction,
        "offline": event.offline,
    }
    rooms = ["console", f"zone:{zone.id}"]
    if event.device_id is not None:
        rooms.append(f"kiosk:{event.device_id}")
    if not d.granted and d.reason in ALERTS:
        rooms.append("security")
        who = d.attendee["name"] if d.attendee else "unidentified person"
        raise_alert(
            session,
            d.reason,
            f"{d.reason} at gate {gate.code}: {who}",
            severity=ALERTS[d.reason],
            attendee_id=event.attendee_id,
            gate_id=gate.id,
            security=True,
        )
    emit(session, "gate_passed" if d.granted else "gate_denied", payload, rooms)
