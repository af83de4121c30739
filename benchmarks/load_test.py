#!/usr/bin/env python3
"""Bounded load test: N gates, kiosks and driver phones at once against one server process.

    .venv/bin/python benchmarks/load_test.py --devices 50 --seconds 120 --database sqlite
    .venv/bin/python benchmarks/load_test.py --devices 50 --seconds 120 --database postgresql

Loopback only; it stops by itself. It builds a throw-away instance (the demo summit seeded
for today, on a fresh SQLite file or a fresh PostgreSQL database on 127.0.0.1:5432), starts
`run.py serve` with RATE_LIMIT_FACTOR=0, registers every device through the admin API and enrols
a few attendees' real photos. Then each device runs its own loop until the time is up:
  gate   - a delegate's phone shows a rotating entrance code, the gate posts it (every 5th pass
           is sent twice with the same nonce, as a gate retrying after a timeout would);
  kiosk  - identify with a real face photo, then a spoken question (a WAV made by espeak-ng);
  driver - load my trips and acknowledge them.
A staff console listens on Socket.IO. Afterwards the database is checked: each nonce stored
once, granted answers == granted rows, and the console received every console event once.
The baseline in the same run is the idle server: one request of each kind before the load.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from rehearsal.actors import Api, LiveClient, Metrics, Phone, nonce  # noqa: E402
from rehearsal.server import serve_process  # noqa: E402

FACES = ROOT.parent / "shared" / "data" / "faces"
ENROL = {"obama": "enroll/obama/obama.jpg", "biden": "enroll/biden/biden.jpg"}
PROBES = ["probe/obama1.jpg", "enroll/biden/biden2.jpg"]
ADMIN = ("load_admin", "load-admin-password")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def database_url(kind: str, instance: Path, prefix: str = "summit_load") -> str:
    """A fresh, empty database of the chosen kind (benchmarks/capacity.py uses it too)."""
    if kind == "sqlite":
        return f"sqlite:///{instance / 'summit.db'}"
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{PG_SERVER}/{name}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def prepare(instance: Path, url: str, attendees: int) -> None:
    """Schema, the demo summit starting today, and the load test's admin login."""
    from core.accounts import create_user
    from core.clock import utcnow
    from core.config import Config
    from core.migrate import upgrade_database
    from core.runtime import build_runtime
    from models.db import transaction
    from seed import seed_summit
    from seed.venue import open_around

    rt = build_runtime(Config.for_tests(instance, url).with_changes(testing=False))
    upgrade_database(rt)
    seed_summit(rt, attendees=attendees, start=date.today())
    with transaction(rt.sessions) as db:
        create_user(db, ADMIN[0], ADMIN[1], "admin")
        open_around(db, utcnow())  # the venue open at any hour of the run (its rules, widened)
    rt.close()


def speak(folder: Path) -> Path | None:
    """One spoken kiosk question, made once with espeak-ng (None when it is not installed)."""
    if shutil.which("espeak-ng") is None:
        return None
    path = folder / "question.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), "where is my hotel"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


def register_devices(admin: Api, count: int, gate_ids: list[int], driver_ids: list[int]) -> dict:
    """Devices through the admin API: 60 % gates, 25 % kiosks, the rest driver phones."""
    n_gates = max(1, round(count * 0.6))
    n_kiosks = max(1, round(count * 0.25))
    n_drivers = max(0, count - n_gates - n_kiosks)
    out: dict[str, list[tuple[int | None, str]]] = {"gate": [], "kiosk": [], "driver": []}
    plan = [
        ("gate", "gate_id", gid) for gid in itertools.islice(itertools.cycle(gate_ids), n_gates)
    ]
    plan += [("kiosk", None, None)] * n_kiosks
    plan += [("driver", "driver_id", d) for d in driver_ids[:n_drivers]]
    for i, (kind, key, ref) in enumerate(plan):
        body: dict[str, Any] = {"name": f"load-{kind}-{i}", "kind": kind}
        if key:
            body[key] = ref
        if kind == "kiosk":
            body["liveness"] = False  # staff-watched: its still photos go through the face engine
        status, device = admin.post("register_device", "/api/devices", json=body)
        if status != 201:
            raise RuntimeError(f"device registration failed: {status} {device}")
        out[kind].append((ref, device["token"]))
    return out


def enrol_faces(admin: Api, attendee_ids: list[int]) -> int:
    """Enrol the shared photos for attendees who consented; returns how many were enrolled."""
    done = 0
    for attendee_id, photo in zip(attendee_ids, ENROL.values(), strict=False):
        with (FACES / photo).open("rb") as fh:
            status, _ = admin.post(
                "enrol_face", f"/api/attendees/{attendee_id}/faces", files={"image": fh}
            )
        done += status == 201
    return done


class Ledger:
    """The gates' own log: every answer by nonce, whose phone it was, and how often it was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: dict[str, bool] = {}
        self.who: dict[str, int] = {}  # nonce -> the attendee whose phone showed the code
        self.reason: dict[str, str] = {}
        self.retry_mismatch = 0

    def add(self, key: str, granted: bool, attendee_id: int = 0, reason: str = "") -> None:
        with self.lock:
            self.answers[key] = granted
            self.who[key] = attendee_id
            self.reason[key] = reason


def gate_loop(api: Api, gate_id: int, phones: list[Phone], ledger: Ledger, stop: float) -> None:
    for i in itertools.count():
        if time.monotonic() >= stop:
            return
        phone = phones[i % len(phones)]
        code = phone.entrance_code()
        if code is None:
            continue
        body = {"method": "code", "code": code, "nonce": nonce()}
        status, answer = api.post("gate_pass", f"/api/gates/{gate_id}/pass", json=body)
        if status != 200:
            continue
        reason = str(answer.get("reason", ""))
        ledger.add(body["nonce"], bool(answer.get("granted")), phone.attendee_id, reason)
        if i % 5 == 0:  # the gate did not hear the answer and sends the same pass again
            status, again = api.post("gate_pass_retry", f"/api/gates/{gate_id}/pass", json=body)
            if status != 200 or again.get("granted") != answer.get("granted"):
                with ledger.lock:
                    ledger.retry_mismatch += 1


def kiosk_loop(api: Api, photos: list[bytes], wav: bytes | None, stop: float) -> None:
    for i in itertools.count():
        if time.monotonic() >= stop:
            return
        image = photos[i % len(photos)]
        api.post("identify", "/api/recognition/identify", files={"image": ("p.jpg", image)})
        if wav is not None and time.monotonic() < stop:
            api.post(
                "speech_query",
                "/api/speech/query?language=en",
                files={"audio": ("q.wav", wav, "audio/wav")},
            )


def driver_loop(api: Api, stop: float) -> None:
    while time.monotonic() < stop:
        status, overview = api.get("driver_sync", "/api/driver/trips")
        if status != 200:
            time.sleep(0.5)
            continue
        versions = {str(t["id"]): t["version"] for t in overview.get("trips", [])}
        api.post("driver_ack", "/api/driver/ack", json={"seq": 0, "trips": versions})
        time.sleep(0.2)  # a phone polls now and then; it does not hammer


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def table(metrics: Metrics, seconds: float, title: str) -> str:
    lines = [title, f"{'kind':<18}{'n':>7}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"]
    for label in sorted(metrics.latencies):
        lat = metrics.latencies[label]
        lines.append(
            f"{label:<18}{len(lat):>7}{len(lat) / seconds:>8.1f}{percentile(lat, 0.5):>9.0f}"
            f"{percentile(lat, 0.95):>9.0f}{percentile(lat, 0.99):>9.0f}"
        )
    return "\n".join(lines)


def world(url: str) -> tuple[list[int], list[int], list[int], int]:
    """Gate ids, driver ids, attendee ids who consented to faces, and the last event id."""
    from models import Attendee, DomainEvent, Driver, Gate

    engine = create_engine(url)
    with engine.connect() as conn:
        gates = list(conn.scalars(select(Gate.id).order_by(Gate.id)))
        drivers = list(conn.scalars(select(Driver.id).order_by(Driver.id)))
        people = list(
            conn.scalars(select(Attendee.id).where(Attendee.consent_face).order_by(Attendee.id))
        )
        last = conn.scalar(select(func.max(DomainEvent.id))) or 0
    engine.dispose()
    return gates, drivers, people, last


def audit(url: str, ledger: Ledger, console_seqs: list[int], since: int) -> dict[str, Any]:
    """Compare what clients were told and saw with what the database holds.

    Passes are matched per nonce from the gates' own log, and counted per attendee: rows per
    nonce (0 lost, 2+ doubled), granted rows per attendee against granted answers per attendee,
    and venue check-ins per attendee and summit day from the rows themselves, so that a pass
    stored twice under two nonces, or a check-in granted twice in a day, shows here even though
    the nonce column is unique.
    """
    from core.clock import to_local
    from models import AccessEvent, DomainEvent

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                AccessEvent.nonce,
                AccessEvent.granted,
                AccessEvent.attendee_id,
                AccessEvent.reason,
                AccessEvent.at,
            )
        ).all()
        events = conn.execute(
            select(DomainEvent.id, DomainEvent.rooms).where(DomainEvent.id > since)
        ).all()
    engine.dispose()
    mine = [r for r in rows if r.nonce in ledger.answers]
    stored = Counter(r.nonce for r in mine)
    told = Counter(ledger.who[n] for n, g in ledger.answers.items() if g)
    kept = Counter(r.attendee_id for r in mine if r.granted)
    checkins = Counter(
        (r.attendee_id, to_local(r.at).date())
        for r in rows
        if r.granted and r.reason == "checked_in"
    )
    console_ids = {i for i, rooms in events if "console" in rooms.split()}
    seen = Counter(s for s in console_seqs if s > since)
    return {
        "answers": len(ledger.answers),
        "granted_answers": sum(ledger.answers.values()),
        "granted_rows": sum(1 for r in mine if r.granted),
        "rows": len(mine),
        "lost_passes": sum(1 for n in ledger.answers if stored[n] == 0),
        "duplicated_passes": sum(1 for n in ledger.answers if stored[n] > 1),
        "answer_row_mismatch": sum(1 for r in mine if ledger.answers.get(r.nonce) != r.granted),
        "attendee_grant_mismatch": sum(1 for a in set(told) | set(kept) if told[a] != kept[a]),
        "checked_in_answers": sum(1 for r in ledger.reason.values() if r == "checked_in"),
        "venue_checkins": sum(checkins.values()),
        "venue_checkins_doubled": sum(1 for n in checkins.values() if n > 1),
        "retry_mismatch": ledger.retry_mismatch,
        "console_events": len(console_ids),
        "console_missed": len(console_ids - set(seen)),
        "console_duplicated": sum(1 for c in seen.values() if c > 1),
    }


def run(devices: int, seconds: float, database: str, attendees: int = 200) -> dict[str, Any]:
    """One bounded load run; returns the audit and the metrics."""
    work = Path(tempfile.mkdtemp(prefix="summit-load-"))
    instance = work / "instance"
    instance.mkdir()
    url = database_url(database, instance)
    try:
        prepare(instance, url, attendees)
        wav = speak(work)
        env = {"DATABASE_URL": url, "RATE_LIMIT_FACTOR": "0", "LOG_LEVEL": "WARNING"}
        with serve_process(instance, env) as base:
            return _drive(base, url, devices, seconds, wav)
    finally:
        drop_database(url)
        shutil.rmtree(work, ignore_errors=True)


def _drive(base: str, url: str, devices: int, seconds: float, wav: Path | None) -> dict[str, Any]:
    setup = Metrics()
    admin = Api(base, setup)
    admin.login(*ADMIN)
    gate_ids, driver_ids, people, _ = world(url)
    tokens = register_devices(admin, devices, gate_ids, driver_ids)
    enrolled = enrol_faces(admin, people[:2])
    photos = [(FACES / p).read_bytes() for p in PROBES]
    audio = wav.read_bytes() if wav else None
    metrics = Metrics()
    cookie = "; ".join(f"{k}={v}" for k, v in admin.http.cookies.items())
    console = LiveClient(base, lambda env: metrics.console_seqs.append(env["seq"]), cookie=cookie)
    console.connect()
    time.sleep(0.5)
    since = world(url)[3]
    baseline = _baseline(base, tokens, photos, audio, admin)
    ledger = Ledger()
    rng = random.Random(7)
    pool = rng.sample(people, min(len(people), 4 * len(tokens["gate"])))
    stop = time.monotonic() + seconds
    threads = []
    for i, (gate_id, token) in enumerate(tokens["gate"]):
        phones = [Phone(base, metrics, admin, a) for a in pool[i :: len(tokens["gate"])]]
        api = Api(base, metrics, token)
        threads.append(
            threading.Thread(target=gate_loop, args=(api, gate_id, phones, ledger, stop))
        )
    for _, token in tokens["kiosk"]:
        api = Api(base, metrics, token)
        threads.append(threading.Thread(target=kiosk_loop, args=(api, photos, audio, stop)))
    for _, token in tokens["driver"]:
        threads.append(threading.Thread(target=driver_loop, args=(Api(base, metrics, token), stop)))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.monotonic() - started
    pools = admin.get("pools", "/api/system/recognition")[1]  # the server's own view of its work
    time.sleep(2.0)  # the last live events are on their way
    console.close()
    result = audit(url, ledger, metrics.console_seqs, since)
    result.update(devices={k: len(v) for k, v in tokens.items()}, enrolled=enrolled)
    return {
        "audit": result,
        "metrics": metrics,
        "baseline": baseline,
        "elapsed": elapsed,
        "pools": pools,
    }


def _baseline(
    base: str, tokens: dict, photos: list[bytes], audio: bytes | None, admin: Api
) -> Metrics:
    """One request of each kind on the idle server, before the load starts."""
    idle = Metrics()
    kiosk = Api(base, idle, tokens["kiosk"][0][1])
    kiosk.post("identify", "/api/recognition/identify", files={"image": ("p.jpg", photos[0])})
    if audio:
        kiosk.post(
            "speech_query",
            "/api/speech/query?language=en",
            files={"audio": ("q.wav", audio, "audio/wav")},
        )
    if tokens["driver"]:
        Api(base, idle, tokens["driver"][0][1]).get("driver_sync", "/api/driver/trips")
    return idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--attendees", type=int, default=200)
    args = parser.parse_args()
    out = run(args.devices, args.seconds, args.database, args.attendees)
    print(
        f"database={args.database} devices={out['audit']['devices']} "
        f"seconds={out['elapsed']:.1f} enrolled={out['audit']['enrolled']}"
    )
    print(table(out["baseline"], 1.0, "baseline: idle server, one request each (n, ms)"))
    print(table(out["metrics"], out["elapsed"], "under load"))
    print("outcomes:", dict(out["metrics"].calls))
    print("audit:", {k: v for k, v in out["audit"].items() if k not in ("devices", "enrolled")})
    for name in ("pool", "speech_pool"):
        pool = out["pools"].get(name)
        if pool:
            print(
                f"{pool['purpose']} pool: {pool['workers']} workers (nice {pool['nice']}), "
                f"{pool['done']} calls, {pool['refused_busy']} refused busy; "
                f"wait+work p50/p95 {pool['latency_ms']['p50']}/{pool['latency_ms']['p95']} ms, "
                f"work p50/p95 {pool['compute_ms']['p50']}/{pool['compute_ms']['p95']} ms"
            )


if __name__ == "__main__":
    main()
