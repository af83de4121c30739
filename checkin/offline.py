"""The gate-side client that keeps deciding when the server cannot be reached.

    gate = OfflineGate("http://server:5000", token, gate_id=3, queue=Path("/var/lib/gate/q.db"))
    gate.sync()                       # fetch the bundle (key, rules, people, sealed gallery)
    gate.pass_code(text)              # online if possible, else decided here and queued
    gate.flush()                      # replay the queue; safe to repeat (idempotent by nonce)

Offline decisions use the same reason codes as the server, and the same rule function
(`checkin.decision_rules.refusal`) on the bundle's facts. The queue is a SQLite file, so a
gate that loses power keeps what it decided. What an offline gate cannot know: passes at
other gates (a code shown at two offline gates passes at both), and watch-list or revocation
changes made after its last sync. The server re-checks every replayed grant and alerts
security when its own rules would have refused it (`checkin.sync.replay_offline`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from checkin.codes import read_code
from checkin.decision_rules import PassFacts, Window, ZoneAccess, refusal, split_categories
from checkin.errors import GRANTED_REASONS, CheckInError
from checkin.sync import gallery_key
from core.clock import utcnow

OFFLINE_ERRORS = (requests.ConnectionError, requests.Timeout)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=None)


def _parse_optional(iso: str | None) -> datetime | None:
    return None if iso is None else _parse(iso)


class Queue:
    """Decisions waiting to be replayed, in a SQLite file that survives restarts."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS queued (nonce TEXT PRIMARY KEY, body TEXT)")

    def put(self, item: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO queued VALUES (?, ?)", (item["nonce"], json.dumps(item))
        )

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
        self.bundle: dict[str, Any] | None = None
        self.gallery: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros((0, 128)))
        self.inside: set[int] = set()  # who this gate let in while offline (anti-passback)

    # -- talking to the server ---------------------------------------------------------------
    def sync(self) -> None:
        """Fetch a fresh bundle; the sealed gallery is opened here with the device's own key."""
        res = self.http.get(
            f"{self.base_url}/api/gates/{self.gate_id}/bundle", timeout=self.timeout
        )
        res.raise_for_status()
        self.bundle = res.json()
        self.gallery = self._open_gallery(self.bundle["gallery"])

    def _open_gallery(self, sealed: str) -> tuple[np.ndarray, np.ndarray]:
        device_id = int(self.token.partition(".")[0])
        token_hash = hashlib.sha256(self.token.partition(".")[2].encode()).hexdigest()
        raw = base64.b64decode(sealed)
        plain = AESGCM(gallery_key(token_hash, device_id)).decrypt(
            raw[:12], raw[12:], f"device:{device_id}".encode()
        )
        data = np.load(io.BytesIO(plain))
        return data["ids"], data["vectors"]

    def flush(self) -> int:
        """Replay queued decisions; returns how many were acknowledged (recorded or duplicate)."""
        done = 0
        while items := self.queue.items():
            res = self.http.post(
                f"{self.base_url}/api/gates/{self.gate_id}/replay",
                json={"events": items},
                timeout=self.timeout * 5,
            )
            res.raise_for_status()
            acked = [r["nonce"] for r in res.json()["results"]]
            self.queue.drop(acked)
            done += len(acked)
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
            revoked=attendee_id in b["revoked"],
            watched=attendee_id in b["watchlist"],
            code_replayed=False,  # passes at other gates are unknown here: replay checks them
            already_inside=attendee_id in self.inside,
        )

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
        self.queue.put(item)
        return {**item, "offline": True}

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
