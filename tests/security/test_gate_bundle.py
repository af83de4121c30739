"""Attacks on the offline gate (issue 18): a stolen gate token, forged and replayed decisions.

The gate bundle's face templates are sealed to a key the gate made for itself, so the gate
token, or anything the server stores, opens nothing; its watch list holds keyed hashes, never
names or ids. Offline decisions come back signed and numbered: forged, unsigned, held-back or
re-ordered items are refused, store nothing and alert security, while an honest retry is a
plain `duplicate`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from sqlalchemy import func, select

from checkin.codes import issue_code
from checkin.offline import OfflineGate
from checkin.sync import bundle_aad
from checkin.watchlist import add_to_watchlist
from core.clock import utcnow
from core.crypto import open_sealed
from core.errors import SummitError
from core.runtime import Runtime
from models import AccessEvent, Alert, Attendee, AuditEntry, Device, FaceTemplate
from models.db import transaction
from models.face import ENGINE_SPACES, selected_engine
from recognition.face import store
from tests.checkin.conftest import Venue, build_venue
from tests.conftest import Caller, device_caller
from tests.servers import free_port


@pytest.fixture
def venue(runtime: Runtime) -> Venue:
    venue = build_venue(runtime)
    with transaction(runtime.sessions) as db:  # a template for two people admitted today
        for attendee_id in (venue.delegate, venue.vip_guest):
            dim = ENGINE_SPACES[selected_engine()][1]  # the selected engine's vector size
            vector = np.random.default_rng(attendee_id).normal(size=dim).astype(np.float32)
            key_id, cipher = store.seal(runtime.templates, attendee_id, vector)
            db.add(FaceTemplate(attendee_id=attendee_id, key_id=key_id, cipher=cipher))
    return venue


def gate_a1(app: Flask, runtime: Runtime, venue: Venue, cache: Path) -> tuple[Caller, OfflineGate]:
    """Gate A1's device: online through the test client, its keys in its own cache file."""
    device = device_caller(app, runtime, "gate", "gate-A1", gate_id=venue.gate_in)
    return device, twin(device, venue, cache)


def twin(device: Caller, venue: Venue, cache: Path) -> OfflineGate:
    """A gate client holding `device`'s token with the keys of cache file `cache`."""
    token = device.headers["Authorization"].removeprefix("Bearer ")
    return OfflineGate(f"http://127.0.0.1:{free_port()}", token, venue.gate_in, cache)


def register(device: Caller, venue: Venue, gate: OfflineGate) -> Any:
    return device.post(f"/api/gates/{venue.gate_in}/device-key", json=gate.public_keys())


def bundle(device: Caller, venue: Venue) -> dict[str, Any]:
    res = device.get(f"/api/gates/{venue.gate_in}/bundle")
    assert res.status_code == 200, res.json
    return res.json  # type: ignore[no-any-return]


def grant(attendee_id: int) -> dict[str, Any]:
    """An offline grant as a gate queues it, before numbering and signing."""
    return {
        "nonce": uuid.uuid4().hex,
        "method": "code",
        "attendee_id": attendee_id,
        "granted": True,
        "reason": "checked_in",
        "at": utcnow().isoformat() + "+00:00",
    }


def replay(device: Caller, venue: Venue, *items: dict[str, Any]) -> list[dict[str, Any]]:
    res = device.post(f"/api/gates/{venue.gate_in}/replay", json={"events": list(items)})
    assert res.status_code == 200, res.json
    return res.json["results"]  # type: ignore[no-any-return]


def alert_kinds(runtime: Runtime) -> list[str]:
    with transaction(runtime.sessions) as db:
        return sorted(db.scalars(select(Alert.kind)))


def events(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as db:
        return db.scalar(select(func.count()).select_from(AccessEvent)) or 0


def offline_seq(runtime: Runtime, device: Caller) -> int:
    with transaction(runtime.sessions) as db:
        row = db.get(Device, device.principal_id)
        assert row is not None
        return row.offline_seq


# -- the bundle ----------------------------------------------------------------------------------


def test_a_bundle_is_refused_until_the_device_registers_its_own_key(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    res = device.get(f"/api/gates/{venue.gate_in}/bundle")
    assert (res.status_code, res.json["error"]) == (409, "device_key_required")
    assert register(device, venue, gate).status_code == 201
    gate.load_bundle(bundle(device, venue))
    assert sorted(gate.gallery[0].tolist()) == [venue.delegate, venue.vip_guest]
    with transaction(runtime.sessions) as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {"device_key_registered", "gate_bundle_fetched"} <= actions


def test_a_token_holder_without_the_devices_private_key_opens_no_template(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    stolen = bundle(device, venue)  # the thief has the token, so it can fetch a bundle
    thief = twin(device, venue, tmp_path / "thief.db")  # ...but only keys of its own
    with pytest.raises(SummitError) as refused:
        thief.load_bundle(stolen)
    assert refused.value.code == "sealed_box_invalid"
    sealed = base64.b64decode(stolen["sealed"])
    aad = bundle_aad(device.principal_id, venue.gate_in, stolen["issued_at"])
    with transaction(runtime.sessions) as db:  # everything the server keeps about the device
        row = db.get(Device, device.principal_id)
        assert row is not None
        stored = [row.token_hash, row.name, *json.loads(row.public_key or "{}").values()]
        stored += list(db.scalars(select(AuditEntry.reason)))
    assert not [s for s in stored if opens(sealed, aad, str(s), device.principal_id)]
    private = base64.b64encode(gate.box_key.private_bytes_raw()).decode()
    assert opens(sealed, aad, private, device.principal_id)  # control: the device's key does
    gate.load_bundle(stolen)  # the device itself opens it
    assert len(gate.gallery[0]) == 2


def opens(sealed: bytes, aad: bytes, material: str, device_id: int) -> bool:
    """Whether a stored value opens the box: as the token-digest key the bundle used before
    (HKDF of `Device.token_hash`), or read as an X25519 private key in any plain way."""
    info = f"summit-gate-gallery:device:{device_id}".encode()
    old = HKDF(hashes.SHA256(), 32, None, info).derive(material.encode())
    try:
        AESGCM(old).decrypt(sealed[:12], sealed[12:], f"device:{device_id}".encode())
        return True
    except InvalidTag:
        pass
    raw = [material.encode(), hashlib.sha256(material.encode()).digest()]
    with contextlib.suppress(binascii.Error):
        raw.append(base64.b64decode(material, validate=True))
    with contextlib.suppress(ValueError):
        raw.append(bytes.fromhex(material))
    for value in raw:
        key = X25519PrivateKey.from_private_bytes(value[:32].ljust(32, b"\0"))
        with contextlib.suppress(SummitError):
            open_sealed(key, sealed, aad)
            return True
    return False


def test_a_device_cannot_replace_its_registered_key_and_security_hears_of_the_attempt(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    thief = twin(device, venue, tmp_path / "thief.db")
    res = register(device, venue, thief)
    assert (res.status_code, res.json["error"]) == (409, "device_key_set")
    gate.load_bundle(bundle(device, venue))  # still sealed to the first key
    assert alert_kinds(runtime) == ["device_key_replace_refused"]
    with transaction(runtime.sessions) as db:
        assert db.scalar(
            select(func.count()).where(AuditEntry.action == "device_key_replace_refused")
        )
    other = device_caller(app, runtime, "gate", "gate-A2", gate_id=venue.gate_in2)
    res = other.post(f"/api/gates/{venue.gate_in}/device-key", json=thief.public_keys())
    assert (res.status_code, res.json["error"]) == (403, "wrong_gate")


def test_the_watch_list_travels_as_keyed_hashes_without_names_or_ids(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    with transaction(runtime.sessions) as db:
        add_to_watchlist(db, venue.delegate, "seen at a protest", "test")
        name = db.get(Attendee, venue.delegate).name  # type: ignore[union-attr]
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    first, second = bundle(device, venue), bundle(device, venue)
    listed = first["watchlist"]
    assert len(listed) == 1 and len(listed[0]) == 64 and int(listed[0], 16) >= 0
    assert name not in str(first) and "张" not in str(listed)
    assert str(venue.delegate) != listed[0] and venue.delegate not in listed
    assert first["watchlist"] != second["watchlist"]  # a fresh key per bundle: nothing links
    gate.load_bundle(first)
    answer = gate.pass_code(issue_code(runtime, venue.delegate))  # offline: no server there
    assert (answer["offline"], answer["reason"]) == (True, "watchlist_hit")


# -- signed offline decisions --------------------------------------------------------------------


def test_forged_and_unsigned_decisions_are_refused_store_nothing_and_alert(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    forger = twin(device, venue, tmp_path / "forger.db")  # the token, not the gate's key
    unsigned = grant(venue.visitor)
    forged = forger.sign(grant(venue.visitor), seq=1)
    tampered = gate.sign(grant(venue.delegate), seq=2) | {"attendee_id": venue.visitor}
    results = replay(device, venue, unsigned, forged, tampered)
    assert [(r["status"], r["reason"]) for r in results] == [
        ("refused", "unsigned"),
        ("refused", "signature_invalid"),
        ("refused", "signature_invalid"),
    ]
    assert events(runtime) == 0 and offline_seq(runtime, device) == 0
    assert alert_kinds(runtime) == ["offline_batch_forged"]  # one alert for the batch
    with transaction(runtime.sessions) as db:
        alert = db.scalars(select(Alert)).one()
        assert (alert.severity, alert.security, alert.gate_id) == ("critical", True, venue.gate_in)
        assert "3 offline decision(s)" in alert.message


def test_a_held_back_or_reordered_item_is_refused_and_alerted(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    one, two, three = (gate.sign(grant(venue.delegate), seq=n) for n in (1, 2, 3))
    results = replay(device, venue, two, one)  # re-ordered within a batch
    assert [r["status"] for r in results] == ["recorded", "refused"]
    assert results[1]["reason"] == "sequence_replayed"
    later = replay(device, venue, three)[0]
    assert later["status"] == "recorded"
    held_back = replay(device, venue, one)[0]  # kept aside, sent after newer ones
    assert (held_back["status"], held_back["reason"]) == ("refused", "sequence_replayed")
    assert events(runtime) == 2 and offline_seq(runtime, device) == 3
    assert alert_kinds(runtime) == ["offline_batch_reordered", "offline_batch_reordered"]


def test_an_honest_retry_is_a_duplicate_not_an_attack(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    batch = [gate.sign(grant(venue.delegate), seq=1), gate.sign(grant(venue.vip_guest), seq=2)]
    assert [r["status"] for r in replay(device, venue, *batch)] == ["recorded", "recorded"]
    again = replay(device, venue, *batch)  # the ack was lost: the same signed items again
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    nxt = replay(device, venue, batch[1], gate.sign(grant(venue.visitor), seq=3))
    assert [r["status"] for r in nxt] == ["duplicate", "recorded"]
    assert events(runtime) == 3 and offline_seq(runtime, device) == 3
    assert not {"offline_batch_forged", "offline_batch_reordered"} & set(alert_kinds(runtime))


def test_a_signed_item_whose_nonce_was_answered_online_first_is_a_duplicate(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    register(device, venue, gate)
    item = grant(venue.delegate)
    code = issue_code(runtime, venue.delegate)
    online = device.post(
        f"/api/gates/{venue.gate_in}/pass",
        json={"method": "code", "code": code, "nonce": item["nonce"]},
    )
    assert online.status_code == 200  # the answer never reached the gate, which decided alone
    assert replay(device, venue, gate.sign(item, seq=1))[0]["status"] == "duplicate"
    assert events(runtime) == 1 and offline_seq(runtime, device) == 1
    assert alert_kinds(runtime) == []


def test_a_replay_needs_a_registered_key_and_bad_fields_are_a_400(
    app: Flask, runtime: Runtime, venue: Venue, tmp_path: Path
) -> None:
    device, gate = gate_a1(app, runtime, venue, tmp_path / "gate.db")
    signed = gate.sign(grant(venue.delegate), seq=1)
    res = device.post(f"/api/gates/{venue.gate_in}/replay", json={"events": [signed]})
    assert (res.status_code, res.json["error"]) == (409, "device_key_required")
    for bad in ({"seq": False}, {"seq": 0}, {"seq": "1"}, {"sig": "AAAA"}):
        res = device.post(f"/api/gates/{venue.gate_in}/replay", json={"events": [signed | bad]})
        assert (res.status_code, res.json["error"]) == (400, "validation_error")
    res = device.post(
        f"/api/gates/{venue.gate_in}/device-key", json={"box_key": "A" * 43 + "=", "sign_key": 1}
    )
    assert (res.status_code, res.json["error"]) == (400, "validation_error")
    assert events(runtime) == 0
