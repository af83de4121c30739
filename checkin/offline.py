"""The gate-side client that keeps deciding when the server cannot be reached.

    gate = OfflineGate("http://server:5000", token, gate_id=3, queue=Path("/var/lib/gate/q.db"))
    gate.sync()                       # register this device's keys once, fetch the bundle
    gate.pass_code(text)              # online if possible, else decided here and queued
    gate.flush()                      # replay the queue; safe to repeat (idempotent by nonce)

Enrolment happens on the device: the first time a cache file is opened the gate makes its own
X25519 key (the server seals the bundle's gallery to it) and Ed25519 key (it signs every
offline decision), keeps the private halves in that file (mode 0600) and registers only the
public halves (`POST /api/gates/<id>/device-key`, accepted once per device).
Offline decisions use the same reason codes as the server, and the same rule function
(`checkin.decision_rules.refusal`) on the bundle's facts. Each one is numbered from a
counter in the cache file and signed before it is queued, so the server can tell the gate's
own decisions from invented ones and a held-back or replayed batch from a fresh one. The
queue is a SQLite file, so a gate that loses power keeps what it decided. What an offline gate
cannot know: passes at other gates (a code shown at two offline gates passes at both), and
watch-list or revocation changes made after its last sync. The server re-checks every
replayed grant and alerts security when its own rules would have refused it
(`checkin.sync.replay_offline`).
"""

from __future__ import annotations

import base64
import io
import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from checkin.codes import read_code
from checkin.decision_rules import PassFacts, Window, ZoneAccess, refusal, split_categories
from checkin.errors import GRANTED_REASONS, CheckInError
from checkin.sync import QueuedPass, bundle_aad, decision_message, list_digest
from core.clock import to_utc, utcnow
from core.crypto import open_sealed

OFFLINE_ERRORS = (requests.ConnectionError, requests.Timeout)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=None)


def _utc(iso: str) -> datetime:
    """An event time as the server reads it (`checkin.sync_routes._queued`): naive UTC."""
    at = datetime.fromisoformat(iso)
    return to_utc(at) if at.tzinfo else at


def _parse_optional(iso: str | None) -> datetime | None:
    return None if iso is None else _parse(iso)


class Queue:
    """The gate's local cache, a SQLite file that survives restarts: its private keys, its
    decision counter and the decisions waiting to be replayed."""

    def __init__(self, path: Path) -> None:
        path.touch(mode=0o600, exist_ok=True)  # it holds the device's private keys
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS queued (nonce TEXT PRIMARY KEY, body TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS device_key (name TEXT PRIMARY KEY, raw BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INT)")

    def device_keys(self) -> tuple[X25519PrivateKey, Ed25519PrivateKey]:
        """This device's own key pairs, made here the first time they are asked for."""
        fresh = {"box": os.urandom(32), "sign": os.urandom(32)}
        self.db.executemany("INSERT OR IGNORE INTO device_key VALUES (?, ?)", list(fresh.items()))
        raw = dict(self.db.execute("SELECT name, raw FROM device_key"))
        box = X25519PrivateKey.from_private_bytes(raw["box"])
        return box, Ed25519PrivateKey.from_private_bytes(raw["sign"])

    def put(self, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Queue `make(seq)` under the next sequence number, both in one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR IGNORE INTO counter VALUES ('seq', 0)")
            self.db.execute("UPDATE counter SET value = value + 1 WHERE name = 'seq'")
            (seq,) = self.db.execute("SELECT value FROM counter WHERE name = 'seq'").fetchone()
            item: dict[str, Any] = make(int(seq))
            self.db.execute(
                "INSERT OR IGNORE INTO queued VALUES (?, ?)", (item["nonce"], json.dumps(item))
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return item

    def items(self, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT body FROM queued ORDER BY rowid LIMIT ?", (limit,))
        return [json.loads(body) for (body,) in rows]

    def drop(self, nonces: list[str]) -> None:
        self.db.executemany("DELETE FROM queued WHERE nonce = ?", [(n,) for n in nonces])

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM queued").fetchone()[0])


class OfflineGate:
    """One gate device: online first, its own judgement (and a queue) when cut off."""

    def __init__(
        self, base_url: str, token: str, gate_id: int, queue: Path, timeout: float = 2.0
    ) -> None:
        self.base_url, self.token, self.gate_id, self.timeout = base_url, token, gate_id, timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.queue = Queue(queue)
        self.box_key, self.sign_key = self.queue.device_keys()
        self.bundle: dict[str, Any] | None = None
        self.gallery: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros((0, 128)))
        self.list_key = b""  # the bundle's key of its hashed revocation and watch lists
        self.inside: set[int] = set()  # who this gate let in while offline (anti-passback)
        self.refused: list[dict[str, Any]] = []  # replay refusals, kept for the operator

    @property
    def device_id(self) -> int:
        return int(self.token.partition(".")[0])

    # -- talking to the server ---------------------------------------------------------------
    def public_keys(self) -> dict[str, str]:
        """The body that registers this device's public keys (never the private halves)."""
        box = self.box_key.public_key().public_bytes_raw()
        sign = self.sign_key.public_key().public_bytes_raw()
        return {
            "box_key": base64.b64encode(box).decode(),
            "sign_key": base64.b64encode(sign).decode(),
        }

    def enrol(self) -> None:
        """Register this device's public keys with the server (accepted once per device)."""
        res = self.http.post(
            f"{self.base_url}/api/gates/{self.gate_id}/device-key",
            json=self.public_keys(),
            timeout=self.timeout,
        )
        res.raise_for_status()

    def sync(self) -> None:
        """Fetch a fresh bundle (enrolling first if the server has no key for this device)."""
        url = f"{self.base_url}/api/gates/{self.gate_id}/bundle"
        res = self.http.get(url, timeout=self.timeout)
        if res.status_code == 409 and res.json().get("error") == "device_key_required":
            self.enrol()
            res = self.http.get(url, timeout=self.timeout)
        res.raise_for_status()
        self.load_bundle(res.json())

    def load_bundle(self, bundle: dict[str, Any]) -> None:
        """Keep a bundle and open its sealed part with this device's private X25519 key."""
        aad = bundle_aad(self.device_id, self.gate_id, bundle["issued_at"])
        plain = open_sealed(self.box_key, base64.b64decode(bundle["sealed"]), aad)
        data = np.load(io.BytesIO(plain))
        self.bundle = bundle
        self.gallery = (data["ids"], data["vectors"])
        self.list_key = data["list_key"].tobytes()

    def flush(self) -> int:
        """Replay queued decisions; returns how many were acknowledged (recorded or duplicate).

        Items the server refuses (bad signature, used-up sequence) stay queued and are listed
        in `refused`: they need an operator, not another retry.
        """
        done = 0
        while items := self.queue.items():
            res = self.http.post(
                f"{self.base_url}/api/gates/{self.gate_id}/replay",
                json={"events": items},
                timeout=self.timeout * 5,
            )
            res.raise_for_status()
            results = res.json()["results"]
            acked = [r["nonce"] for r in results if r["status"] != "refused"]
            self.refused = [r for r in results if r["status"] == "refused"]
            self.queue.drop(acked)
            done += len(acked)
            if self.refused:
                break
        self.inside.clear()
        return done

    def _online(self, body: dict[str, Any]) -> dict[str, Any] | None:
        try:
            res = self.http.post(
                f"{self.base_url}/api/gates/{self.gate_id}/pass", json=body, timeout=self.timeout
            )
        except OFFLINE_ERRORS:
            return None
        if res.status_code >= 500:
            return (
                None  # e.g. 503 database_unavailable: decide here rather than keep people waiting
            )
        return res.json()  # type: ignore[no-any-return]

    # -- passes ------------------------------------------------------------------------------
    def pass_code(self, code: str, nonce: str | None = None) -> dict[str, Any]:
        """A pass by entrance code: the server's answer, or this gate's offline decision."""
        nonce = nonce or uuid.uuid4().hex
        answer = self._online({"method": "code", "code": code, "nonce": nonce})
        if answer is not None:
            return answer
        try:
            entrance = read_code(self._need_bundle()["public_key"], code)
        except CheckInError as exc:
            return self._decide(nonce, "code", None, exc.code)
        return self._decide(nonce, "code", entrance.attendee_id, None, entrance.nonce)

    def pass_face(self, image: bytes, nonce: str | None = None) -> dict[str, Any]:
        """A pass by face photo (gates without liveness): online, else the cached gallery."""
        nonce = nonce or uuid.uuid4().hex
        answer = self._online(
            {"method": "face", "image": base64.b64encode(image).decode(), "nonce": nonce}
        )
        if answer is not None:
            return answer
        attendee_id, failure = self._match(image)
        return self._decide(nonce, "face", attendee_id, failure)

    def _match(self, image: bytes) -> tuple[int | None, str | None]:
        from recognition.face.api import get_engine
        from recognition.face.engine import main_face
        from recognition.face.images import decode_image

        if self._need_bundle().get("liveness_required", True):
            return None, "liveness_required"
        rgb = decode_image(image)
        engine = get_engine()
        faces = engine.detect(rgb)
        face = main_face(faces)
        if face is None:
            return None, "multiple_faces" if faces else "no_face"
        return self._nearest(engine.encode(rgb, face))

    def _nearest(self, probe: np.ndarray) -> tuple[int | None, str | None]:
        ids, vectors = self.gallery
        if len(ids) == 0:
            return None, "face_unknown"
        dist = np.linalg.norm(vectors - probe, axis=1)
        best = int(np.argmin(dist))
        others = dist[ids != ids[best]]
        t = self._need_bundle()["face_threshold"]
        if dist[best] > t["distance"]:
            return None, "face_unknown"
        if len(others) and float(others.min()) - float(dist[best]) < t["margin"]:
            return None, "face_ambiguous"
        return int(ids[best]), None

    def _need_bundle(self) -> dict[str, Any]:
        if self.bundle is None:
            raise CheckInError("this gate has never synced: it cannot decide offline", "not_synced")
        return self.bundle

    def _facts(self, attendee_id: int | None, failure: str | None, at: datetime) -> PassFacts:
        """The facts the bundle holds about this pass, for the server's own rule function."""
        b = self._need_bundle()
        person = next((a for a in b["attendees"] if a["id"] == attendee_id), None)
        return PassFacts(
            at=at,
            direction=b["gate"]["direction"],
            zone=bundle_zone_access(b),
            # The bundle lists only people allowed in this zone today: anyone else is refused
            # as category_not_allowed.
            category=person["category"] if person else None,
            gate_open=b["gate"].get("open", True),
            failure=failure,
            attendee_known=attendee_id is not None,
            revoked=self._listed("revoked", attendee_id),
            watched=self._listed("watchlist", attendee_id),
            code_replayed=False,  # passes at other gates are unknown here: replay checks them
            already_inside=attendee_id in self.inside,
        )

    def _listed(self, name: str, attendee_id: int | None) -> bool:
        """Whether the bundle's hashed list `name` holds this attendee."""
        if attendee_id is None:
            return False
        return list_digest(self.list_key, attendee_id) in self._need_bundle()[name]

    def sign(self, item: dict[str, Any], seq: int) -> dict[str, Any]:
        """A queued item with its sequence number and this device's signature of both."""
        numbered = {**item, "seq": seq}
        queued = QueuedPass(
            numbered["nonce"],
            numbered["method"],
            numbered["attendee_id"],
            numbered["granted"],
            numbered["reason"],
            _utc(numbered["at"]),
            numbered.get("code_nonce"),
            seq,
        )
        signature = self.sign_key.sign(decision_message(self.gate_id, queued))
        return {**numbered, "sig": base64.b64encode(signature).decode()}

    def _decide(
        self,
        nonce: str,
        method: str,
        attendee_id: int | None,
        failure: str | None,
        code_nonce: str | None = None,
    ) -> dict[str, Any]:
        at = utcnow()
        reason = refusal(self._facts(attendee_id, failure, at))
        if reason is None and attendee_id is not None:
            reason = self._move(attendee_id)
        granted = reason in GRANTED_REASONS
        item = {
            "nonce": nonce,
            "method": method,
            "attendee_id": attendee_id,
            "granted": granted,
            "reason": reason,
            "at": at.isoformat() + "+00:00",
            "code_nonce": code_nonce if granted else None,
        }
        queued = self.queue.put(lambda seq: self.sign(item, seq))
        return {**queued, "offline": True}

    def _move(self, attendee_id: int) -> str:
        """The rules let the person through: remember it for anti-passback until the replay."""
        if self._need_bundle()["gate"]["direction"] == "out":
            self.inside.discard(attendee_id)
            return "exited"
        self.inside.add(attendee_id)
        return "checked_in"


def bundle_zone_access(bundle: dict[str, Any]) -> ZoneAccess:
    """The bundle's copy of the zone's rules, as `checkin.rules.zone_access` gives them online."""
    return ZoneAccess(
        categories=split_categories(bundle["zone_categories"]),
        opens_at=_parse_optional(bundle.get("zone_opens_at")),
        closes_at=_parse_optional(bundle.get("zone_closes_at")),
        windows=tuple(
            Window(split_categories(r["categories"]), _parse(r["starts_at"]), _parse(r["ends_at"]))
            for r in bundle["zone_rules"]
        ),
    )
