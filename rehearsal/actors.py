"""The summit's devices and people as real API clients: HTTP with bearer tokens, and Socket.IO.

Every action the rehearsal takes goes through the same API a real gate, hotel kiosk, airport
desk, driver phone or delegate phone uses. Each answer is recorded in `Metrics`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests
import socketio


@dataclass
class Metrics:
    """Every call's outcome and latency, and every live event a client received."""

    calls: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    console_seqs: list[int] = field(default_factory=list)
    driver_seqs: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, label: str, status: int, code: str, seconds: float) -> None:
        with self.lock:
            self.calls[(label, status, code)] += 1
            self.latencies[label].append(seconds)

    def outcome(self, kind: str, value: str) -> None:
        with self.lock:
            self.outcomes[(kind, value)] += 1


class Api:
    """One HTTP client: a device with its bearer token, or a logged-in staff user."""

    def __init__(self, base: str, metrics: Metrics, token: str | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        self.metrics = metrics
        self.headers: dict[str, str] = {"Authorization": f"Bearer {token}"} if token else {}

    def login(self, username: str, password: str) -> None:
        res = self.http.post(
            f"{self.base}/api/auth/login", json={"username": username, "password": password}
        )
        res.raise_for_status()
        self.headers = {"X-CSRF-Token": res.json()["csrf"]}

    def call(
        self, method: str, label: str, path: str, retries: int = 3, **kw: Any
    ) -> tuple[int, dict[str, Any]]:
        """Send a request; retry only when the server could not answer (503 or no connection)."""
        for attempt in range(retries + 1):
            started = time.perf_counter()
            try:
                res = self.http.request(
                    method, f"{self.base}{path}", headers=self.headers, timeout=30, **kw
                )
                status, body = res.status_code, (res.json() if res.content else {})
            except (requests.RequestException, ValueError) as exc:
                status, body = 0, {"error": "unreachable", "message": str(exc)}
            self.metrics.record(
                label,
                status,
                str(body.get("error", "")) if isinstance(body, dict) else "",
                time.perf_counter() - started,
            )
            if status not in (0, 503) or attempt == retries:
                return status, body if isinstance(body, dict) else {"items": body}
            time.sleep(_backoff(body, attempt))
        raise AssertionError("unreachable")

    def post(self, label: str, path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        return self.call("POST", label, path, **kw)

    def get(self, label: str, path: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        return self.call("GET", label, path, **kw)


def _backoff(body: Any, attempt: int) -> float:
    """Seconds before retrying: the server's `retry_after` when it sent one (as a device
    honouring `Retry-After` does; at most 5 s), else 0.2 s more per attempt."""
    hint = body.get("retry_after") if isinstance(body, dict) else None
    if isinstance(hint, int | float) and not isinstance(hint, bool) and hint > 0:
        return min(float(hint), 5.0)
    return 0.2 * (attempt + 1)


class Phone:
    """A delegate's phone page: opened once with a one-time code, then shows rotating codes."""

    def __init__(self, base: str, metrics: Metrics, admin: Api, attendee_id: int) -> None:
        self.api = Api(base, metrics)
        self.admin = admin
        self.attendee_id = attendee_id
        self._opened = False
        self._lock = threading.Lock()

    def entrance_code(self) -> str | None:
        """A fresh entrance code from the phone page (opening the page the first time)."""
        with self._lock:
            if not self._opened:
                status, link = self.admin.post(
                    "portal_link", f"/api/attendees/{self.attendee_id}/portal-link"
                )
                if status != 200:
                    return None
                status, _ = self.api.post(
                    "phone_login", "/api/public/phone/login", json={"code": link["code"]}
                )
                self._opened = status == 200
                if not self._opened:
                    return None
        status, page = self.api.get("phone_status", "/api/public/phone/status")
        return page.get("code") if status == 200 else None


class LiveClient:
    """A Socket.IO client on /live that records every event's sequence number."""

    def __init__(
        self, base: str, on_event: Any, token: str | None = None, cookie: str | None = None
    ) -> None:
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5)
        self.sio.on("event", on_event, namespace="/live")
        self.base, self.token, self.cookie = base, token, cookie

    def connect(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        auth = {"token": self.token} if self.token else None
        self.sio.connect(
            self.base,
            namespaces=["/live"],
            headers=headers,
            auth=auth,
            transports=["websocket"],
            wait_timeout=10,
        )

    def close(self) -> None:
        self.sio.disconnect()


def nonce() -> str:
    return uuid.uuid4().hex
