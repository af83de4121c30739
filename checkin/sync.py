"""What an offline gate needs, and taking back what it decided while cut off.

`register_device_key` stores the public keys a gate device made for itself at enrolment (an
X25519 key to seal data to, an Ed25519 key it signs with); the private halves never leave the
device. `gate_bundle` gives the device everything to keep deciding alone: the public key of
entrance codes, its zone's rules, who may enter today (masked), revocations and the watch list
as hashed ids, and the zone's face gallery. The gallery is biometric data: it is sealed to the
device's X25519 key with a fresh ephemeral key (`core.crypto.seal_to`), so the server keeps
nothing from which it could be opened. The same box carries the per-bundle key of the hashed
ids, so a stolen bundle shows neither templates nor who is listed.
`replay_offline` takes back queued decisions: each must carry the device's signature and a
sequence number above the last accepted; it records them idempotently by nonce, re-checks
each new grant with the server's rules as they stood when the gate decided, and alerts
security about forged or replayed items and about grants the server would have refused.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
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
from core.crypto import DevicePublicKeys, keyed_digest, seal_to
from core.errors import Conflict, Forbidden
from core.runtime import Runtime
from models.attendee import Attendee
from models.auth import Device
from models.venue import AccessEvent, CodeUse, Gate, Zone, ZoneRule

BUNDLE_HOURS = 12
SIGNED_PREFIX = b"summit-offline-decision:v1\n"


def bundle_aad(device_id: int, gate_id: int, issued_at: str) -> bytes:
    """What the sealed part of a bundle is bound to: this device, this gate, this bundle."""
    return f"summit-gate-bundle:v2:device:{device_id}:gate:{gate_id}:{issued_at}".encode()


def list_digest(list_key: bytes, attendee_id: int) -> str:
    """An attendee id as a bundle lists it: HMAC under the bundle's own (sealed) list key."""
    return keyed_digest(list_key, f"attendee:{attendee_id}")


def seal_gallery(
    recipient: bytes, aad: bytes, ids: np.ndarray, vectors: np.ndarray, list_key: bytes
) -> str:
    """The gallery and the list key, sealed to the device's X25519 public key (base64)."""
    buf = io.BytesIO()
    np.savez(
        buf,
        ids=ids.astype(np.int64),
        vectors=vectors.astype(np.float32),
        list_key=np.frombuffer(list_key, np.uint8),
    )
    return base64.b64encode(seal_to(recipient, buf.getvalue(), aad)).decode()


def _own_device(session: Session, gate_id: int, device_id: int, lock: bool = False) -> Device:
    device = session.get(Device, device_id, with_for_update=lock)
    if device is None or device.gate_id != gate_id:
        raise Forbidden("only the gate's own device may do this", "wrong_gate")
    return device


def device_keys(device: Device) -> DevicePublicKeys:
    """The device's registered public keys, or Conflict `device_key_required`."""
    if device.public_key is None:
        raise Conflict(
            "this device has not registered its public keys (POST /api/gates/<id>/device-key)",
            "device_key_required",
        )
    return DevicePublicKeys.from_text(device.public_key)


def register_device_key(
    session: Session, gate_id: int, device_id: int, keys: DevicePublicKeys
) -> bool:
    """Store a gate device's public keys once; False (audited, alerted) if it already has some.

    Replacing a registered key would let anyone holding the token read the next bundle and
    sign decisions in the gate's name, so a device never does it: a gate that lost its keys
    gets a new device (and token) from an admin, and the old one is revoked.
    """
    device = _own_device(session, gate_id, device_id, lock=True)
    fingerprint = hashlib.sha256(keys.to_text().encode()).hexdigest()[:16]
    actor, target = f"device:{device_id}", f"gate:{gate_id}"
    if device.public_key is not None:
        audit(session, actor, "device_key_replace_refused", target, fingerprint)
        raise_alert(
            session,
            "device_key_replace_refused",
            f"device {device.name} tried to replace its registered key; refused",
            gate_id=gate_id,
            security=True,
            params={"device": device.name},
        )
        return False
    device.public_key = keys.to_text()
    device.offline_seq = 0
    audit(session, actor, "device_key_registered", target, fingerprint)
    return True


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
    device = _own_device(session, gate_id, device_id)
    keys = device_keys(device)
    _gate, zone = load_gate(session, gate_id)
    now = utcnow()
    issued = iso(now) or ""
    cats = sorted(_day_categories(session, zone, now))
    people = session.scalars(
        select(Attendee).where(Attendee.category.in_(cats), Attendee.revoked.is_(False))
    ).all()
    rules = session.scalars(select(ZoneRule).where(ZoneRule.zone_id == zone.id)).all()
    ids, vectors = _gallery(rt, session, [a.id for a in people if a.consent_face])
    revoked = session.scalars(select(Attendee.id).where(Attendee.revoked.is_(True)))
    list_key = os.urandom(32)  # new for every bundle: hashed ids do not link across bundles
    audit(session, f"device:{device_id}", "gate_bundle_fetched", f"gate:{gate_id}", str(len(ids)))
    return {
        "gate": gate_view(session, gate_id),
        "public_key": public_key_b64(rt),
        "issued_at": issued,
        "valid_until": iso(now + timedelta(hours=BUNDLE_HOURS)),
        "zone_rules": [
            {"categories": r.categories, "starts_at": iso(r.starts_at), "ends_at": iso(r.ends_at)}
            for r in rules
        ],
        "zone_categories": zone.categories,
        "zone_opens_at": iso(zone.opens_at),
        "zone_closes_at": iso(zone.closes_at),
        "attendees": [masked_attendee(a) for a in people],
        "revoked": sorted(list_digest(list_key, a) for a in revoked),
        "watchlist": sorted(list_digest(list_key, a) for a in watched_ids(session)),
        "sealed": seal_gallery(
            keys.box, bundle_aad(device_id, gate_id, issued), ids, vectors, list_key
        ),
        "face_threshold": _threshold(rt),
        "liveness_required": device.liveness_required,
    }


def _threshold(rt: Runtime) -> dict[str, float]:
    from recognition.face.api import face_service

    t = face_service(rt).thresholds
    return {"distance": t.distance, "margin": t.margin}


@dataclass(frozen=True)
class QueuedPass:
    """One decision an offline gate made, queued, numbered and signed."""

    nonce: str
    method: str
    attendee_id: int | None
    granted: bool
    reason: str
    at: datetime
    code_nonce: str | None = None
    seq: int | None = None
    signature: bytes | None = None


def decision_message(gate_id: int, item: QueuedPass) -> bytes:
    """The bytes a gate signs for one queued decision, and the server verifies."""
    fields = {
        "gate_id": gate_id,
        "seq": item.seq,
        "nonce": item.nonce,
        "method": item.method,
        "attendee_id": item.attendee_id,
        "granted": item.granted,
        "reason": item.reason,
        "at": iso(item.at),
        "code_nonce": item.code_nonce,
    }
    return SIGNED_PREFIX + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def replay_offline(
    session: Session, gate_id: int, items: list[QueuedPass], actor: str, device_id: int
) -> list[dict[str, Any]]:
    """Record a gate's signed queued decisions in the order sent; forged or replayed ones are not.

    An item needs the device's signature and a sequence above the last accepted one
    (`Device.offline_seq`). An exact retry of an item already stored is a `duplicate` (signed,
    nonce known) whatever its sequence. A refused item stores nothing; each kind of refusal
    raises one security alert for the batch.
    """
    gate, zone = load_gate(session, gate_id)
    device = _own_device(session, gate_id, device_id, lock=True)
    keys = device_keys(device)
    out = [_replay_one(session, gate, zone, device, keys, item, actor) for item in items]
    refused = Counter(r["reason"] for r in out if r["status"] == "refused")
    _alert_refused_items(session, gate, device, refused)
    return out


def _replay_one(
    session: Session,
    gate: Gate,
    zone: Zone,
    device: Device,
    keys: DevicePublicKeys,
    item: QueuedPass,
    actor: str,
) -> dict[str, Any]:
    if item.signature is None or item.seq is None:
        return {"nonce": item.nonce, "status": "refused", "reason": "unsigned"}
    if not keys.verify(item.signature, decision_message(gate.id, item)):
        return {"nonce": item.nonce, "status": "refused", "reason": "signature_invalid"}
    if item.seq <= device.offline_seq:
        # The gate signed it, but its number was used up: a retry if its nonce is stored,
        # else an old item held back and sent after newer ones.
        known = session.scalar(select(AccessEvent.id).where(AccessEvent.nonce == item.nonce))
        if known is not None:
            return {"nonce": item.nonce, "status": "duplicate"}
        return {"nonce": item.nonce, "status": "refused", "reason": "sequence_replayed"}
    device.offline_seq = item.seq
    event = reserve_event(session, gate, item.nonce, item.method, actor, device.id, item.at, True)
    if event is None:  # decided online first with the same nonce; the answer was lost
        return {"nonce": item.nonce, "status": "duplicate"}
    return _record(session, gate, zone, event, item)


def _alert_refused_items(
    session: Session, gate: Gate, device: Device, refused: Counter[str]
) -> None:
    forged = refused["unsigned"] + refused["signature_invalid"]
    if forged:
        raise_alert(
            session,
            "offline_batch_forged",
            f"gate {gate.code} ({device.name}) sent {forged} offline decision(s) without a valid "
            "signature; refused, nothing stored",
            severity="critical",
            gate_id=gate.id,
            security=True,
            params={"device": device.name, "count": forged},
        )
    if refused["sequence_replayed"]:
        raise_alert(
            session,
            "offline_batch_reordered",
            f"gate {gate.code} ({device.name}) sent {refused['sequence_replayed']} offline "
            f"decision(s) numbered at or below the last accepted ({device.offline_seq}); "
            "refused, nothing stored",
            severity="critical",
            gate_id=gate.id,
            security=True,
            params={
                "device": device.name,
                "count": refused["sequence_replayed"],
                "last": device.offline_seq,
            },
        )


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
        params={"at": iso(decision.at), "reason": reason},
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
