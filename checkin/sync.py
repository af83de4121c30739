"""What an offline gate needs, and taking back what it decided while cut off.

`gate_bundle` gives a gate device everything to keep deciding alone: the public key, its
zone's rules, who may enter today (masked), revocations, the watch list, and the zone's face
gallery. The gallery is biometric data, so it never leaves in the clear: it is sealed with
AES-GCM under a key only this device can derive (from its own token), bound to the device id.
`replay_offline` records queued decisions idempotently by nonce and applies granted passes;
it re-checks each new grant with the server's rules as they stood when the gate decided, and
alerts security about a grant the server would have refused (revoked, watch-listed, ...).
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import presence
from checkin.codes import public_key_b64
from checkin.decision_rules import refusal
from checkin.rules import summit_day, zone_access
from checkin.service import (
    Claim,
    Decision,
    finish_event,
    load_gate,
    masked_attendee,
    pass_facts,
    reserve_event,
)
from checkin.store import insert_ignore
from checkin.venue import gate_view
from checkin.watchlist import watched_ids
from core.alerts import raise_alert
from core.audit import audit
from core.clock import iso, to_local, to_utc, utcnow
from core.errors import Forbidden
from core.runtime import Runtime
from models.attendee import Attendee
from models.auth import Device
from models.venue import AccessEvent, CodeUse, Gate, Zone, ZoneRule

BUNDLE_HOURS = 12


def gallery_key(token_hash: str, device_id: int) -> bytes:
    """The AES key sealing a device's gallery: HKDF of the device token's digest."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"summit-gate-gallery:device:{device_id}".encode(),
    )
    return hkdf.derive(token_hash.encode())


def seal_gallery(key: bytes, device_id: int, ids: np.ndarray, vectors: np.ndarray) -> str:
    buf = io.BytesIO()
    np.savez(buf, ids=ids.astype(np.int64), vectors=vectors.astype(np.float32))
    nonce = hashlib.sha256(buf.getvalue()).digest()[:12]
    box = AESGCM(key).encrypt(nonce, buf.getvalue(), f"device:{device_id}".encode())
    return base64.b64encode(nonce + box).decode()


def _day_categories(session: Session, zone: Zone, at: datetime) -> set[str]:
    """Every category allowed at some time of today's summit day (rules decide the hour)."""
    start = to_utc(datetime.combine(summit_day(at), datetime.min.time()))
    access = zone_access(session, zone)
    out: set[str] = set()
    for quarter in range(0, 24 * 4):
        out |= access.allowed_at(start + timedelta(minutes=15 * quarter))
    return out


def _gallery(rt: Runtime, session: Session, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The zone's templates, decrypted here only to be sealed again for the device."""
    from recognition.face.store import iter_templates

    wanted = set(ids)
    rows = [(a, v) for _t, a, v in iter_templates(session, rt.templates) if a in wanted]
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 128), np.float32)
    return np.array([a for a, _ in rows]), np.stack([v for _, v in rows])


def gate_bundle(rt: Runtime, session: Session, gate_id: int, device_id: int) -> dict[str, Any]:
    """Everything a gate needs to decide offline for the next hours; the fetch is audited."""
    device = session.get(Device, device_id)
    if device is None or device.gate_id != gate_id:
        raise Forbidden("only the gate's own device may fetch its bundle", "wrong_gate")
    _gate, zone = load_gate(session, gate_id)
    now = utcnow()
    cats = sorted(_day_categories(session, zone, now))
    people = session.scalars(
        select(Attendee).where(Attendee.category.in_(cats), Attendee.revoked.is_(False))
    ).all()
    rules = session.scalars(select(ZoneRule).where(ZoneRule.zone_id == zone.id)).all()
    ids, vectors = _gallery(rt, session, [a.id for a in people if a.consent_face])
    audit(session, f"device:{device_id}", "gate_bundle_fetched", f"gate:{gate_id}", str(len(ids)))
    return {
        "gate": gate_view(session, gate_id),
        "public_key": public_key_b64(rt),
        "issued_at": iso(now),
        "valid_until": iso(now + timedelta(hours=BUNDLE_HOURS)),
        "zone_rules": [
            {"categories": r.categories, "starts_at": iso(r.starts_at), "ends_at": iso(r.ends_at)}
            for r in rules
        ],
        "zone_categories": zone.categories,
        "zone_opens_at": iso(zone.opens_at),
        "zone_closes_at": iso(zone.closes_at),
        "attendees": [masked_attendee(a) for a in people],
        "revoked": list(session.scalars(select(Attendee.id).where(Attendee.revoked.is_(True)))),
        "watchlist": watched_ids(session),
        "gallery": seal_gallery(gallery_key(device.token_hash, device_id), device_id, ids, vectors),
        "face_threshold": _threshold(rt),
        "liveness_required": device.liveness_required,
    }


def _threshold(rt: Runtime) -> dict[str, float]:
    from recognition.face.api import face_service

    t = face_service(rt).thresholds
    return {"distance": t.distance, "margin": t.margin}


@dataclass(frozen=True)
class QueuedPass:
    """One decision an offline gate made and queued."""

    nonce: str
    method: str
    attendee_id: int | None
    granted: bool
    reason: str
    at: datetime
    code_nonce: str | None = None


def replay_offline(
    session: Session, gate_id: int, items: list[QueuedPass], actor: str, device_id: int | None
) -> list[dict[str, Any]]:
    """Record queued decisions; a nonce seen before is reported `duplicate` and changes nothing."""
    gate, zone = load_gate(session, gate_id)
    out: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda i: i.at):
        event = reserve_event(
            session, gate, item.nonce, item.method, actor, device_id, item.at, True
        )
        if event is None:
            out.append({"nonce": item.nonce, "status": "duplicate"})
            continue
        out.append(_record(session, gate, zone, event, item))
    return out


def _record(
    session: Session, gate: Gate, zone: Zone, event: AccessEvent, item: QueuedPass
) -> dict[str, Any]:
    """Store one new queued decision as the gate made it, with the server's verdict if it differs.

    A refused grant is still applied: the person went through, and presence should say so.
    """
    verdict = server_verdict(session, gate, zone, item) if item.granted else None
    if item.granted and item.attendee_id is not None:
        _apply(session, gate, event.id, item)
    note = "offline" if verdict is None else f"offline; the server refuses: {verdict}"
    claim = Claim(item.method, item.attendee_id, note=note)
    decision: Decision = finish_event(session, event, gate, zone, claim, item.reason)
    result: dict[str, Any] = {
        "nonce": item.nonce,
        "status": "recorded",
        "event_id": decision.event_id,
    }
    if verdict is not None:
        _alert_refused_grant(session, gate, decision, verdict)
        result["server_reason"] = verdict
    return result


def server_verdict(session: Session, gate: Gate, zone: Zone, item: QueuedPass) -> str | None:
    """The reason the server's rules give a queued pass at the time the gate decided it.

    The gate's open switch and presence are known only as they are now, not at `item.at`, so
    they are left out (the gate judged anti-passback itself); a code used at two gates has
    its own alert in `_apply`. Revocation and the watch list keep no history: what the server
    knows now is what it would have answered.
    """
    facts = pass_facts(session, gate, zone, Claim(item.method, item.attendee_id), item.at)
    return refusal(replace(facts, gate_open=True, already_inside=False))


def _alert_refused_grant(session: Session, gate: Gate, decision: Decision, reason: str) -> None:
    who = decision.attendee["name"] if decision.attendee else "an unknown attendee"
    moved = "let in" if gate.direction == "in" else "let out"
    when = to_local(decision.at).strftime("%H:%M")
    raise_alert(
        session,
        "offline_grant_refused",
        f"gate {gate.code} {moved} {who} at {when} while offline; the server refuses: {reason}",
        severity="critical" if reason == "watchlist_hit" else "warning",
        attendee_id=decision.attendee["id"] if decision.attendee else None,
        gate_id=gate.id,
        security=True,
    )


def _apply(session: Session, gate: Gate, event_id: int, item: QueuedPass) -> None:
    """The person went through while we were cut off: make presence and check-in say so."""
    assert item.attendee_id is not None
    if gate.direction == "in":
        presence.enter(session, item.attendee_id, gate, event_id, item.at, force=True)
    else:
        presence.set_outside(session, item.attendee_id, gate.zone_id, item.at)
    if item.code_nonce:
        values = {
            "nonce": item.code_nonce,
            "attendee_id": item.attendee_id,
            "gate_id": gate.id,
            "expires_at": item.at,
            "used_at": item.at,
        }
        if insert_ignore(session, CodeUse, values, ["nonce"]) is None:
            first = session.scalar(select(CodeUse.gate_id).where(CodeUse.nonce == item.code_nonce))
            if first != gate.id:
                raise_alert(
                    session,
                    "code_replayed_offline",
                    f"an entrance code used at two gates while gate {gate.code} was offline",
                    attendee_id=item.attendee_id,
                    gate_id=gate.id,
                    security=True,
                )
