"""One rehearsal from start to end: a copy of the summit, its own server, the simulator, a report.

The rehearsal never touches the live database: it seeds the demo summit (or copies an existing
SQLite database) into a temporary instance, starts `run.py serve` there on a simulated clock,
and plays the plan through the real HTTP and Socket.IO API.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import create_device, create_user
from core.clock import SimClock
from core.config import Config
from core.runtime import Runtime, build_runtime
from models import Driver, Gate, Hotel, Stay
from models.db import transaction
from rehearsal.actors import Api, LiveClient, Metrics
from rehearsal.behaviour import Devices, World
from rehearsal.engine import Scheduler
from rehearsal.plan import Plan, Scenario, build_plan
from rehearsal.report import build_report
from rehearsal.server import serve_process

ADMIN = ("rehearsal_admin", "rehearsal-admin-password")
DEMO_START = date(2026, 12, 7)  # fixed, so a seed always gives the same summit
QUESTIONS = (
    "where is my hotel",
    "when does my car come",
    "what time is the opening ceremony",
    "how do I get to the exhibition hall",
    "what is the wifi password",
)


def prepare_instance(
    work: Path, scenario: Scenario, attendees: int, source: Path | None
) -> Runtime:
    """The summit to rehearse, in its own instance folder: a seeded demo or a copied database."""
    instance = work / "instance"
    instance.mkdir(parents=True)
    db_path = instance / "summit.db"
    base = Config.for_tests(instance, f"sqlite:///{db_path}")
    config = base.with_changes(testing=False)
    if source is not None:
        with sqlite3.connect(source) as src, sqlite3.connect(db_path) as dst:
            src.backup(dst)  # consistent even while the live server writes
        secrets_file = source.parent / "secrets.json"
        if secrets_file.exists():
            shutil.copy(secrets_file, instance / "secrets.json")
            config = Config.for_tests(instance, f"sqlite:///{db_path}").with_changes(testing=False)
        rt = build_runtime(config)
    else:
        from core.migrate import upgrade_database
        from seed import seed_summit

        rt = build_runtime(config)
        upgrade_database(rt)
        seed_summit(
            rt,
            seed=scenario.seed,
            attendees=attendees,
            start=DEMO_START,
            vehicles=scenario.vehicles,
        )
    return rt


def register_devices(db: Session, prefix: str, actor: str) -> dict[str, Any]:
    """One token per gate, hotel desk and driver, an airport desk and a kiosk (names prefixed)."""
    tokens: dict[str, Any] = {"gates": {}, "hotels": {}, "drivers": {}}

    def token(name: str, kind: str, **links: Any) -> str:
        return create_device(db, f"{prefix}-{name}", kind, actor, **links)[1]

    for gate in db.scalars(select(Gate)):
        tokens["gates"][gate.id] = token(f"gate-{gate.id}", "gate", gate_id=gate.id)
    for hotel in db.scalars(select(Hotel)):
        tokens["hotels"][hotel.id] = token(f"hotel-{hotel.id}", "hotel_desk", hotel_id=hotel.id)
    for driver in db.scalars(select(Driver)):
        tokens["drivers"][driver.id] = token(f"driver-{driver.id}", "driver", driver_id=driver.id)
    tokens["airport"] = token("airport", "airport_desk")
    # The kiosk answers questions; bound like every kiosk, at the first entrance gate.
    entrance = db.scalar(select(Gate.id).where(Gate.direction == "in").order_by(Gate.id))
    tokens["kiosk"] = token("kiosk", "kiosk", gate_id=entrance)
    tokens["hotel_of"] = {s.attendee_id: s.hotel_id for s in db.scalars(select(Stay))}
    return tokens


def speak_questions(work: Path) -> list[Path]:
    """A few spoken kiosk questions made with espeak-ng (none when it is not installed)."""
    if shutil.which("espeak-ng") is None:
        return []
    out = []
    for i, text in enumerate(QUESTIONS):
        path = work / f"question-{i}.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        out.append(path)
    return out


def rehearse(
    scenario: Scenario,
    *,
    attendees: int = 2000,
    source: Path | None = None,
    deadline_s: float = 3600,
    keep: bool = False,
) -> dict[str, Any]:
    """Run one rehearsal and return its report."""
    work = Path(tempfile.mkdtemp(prefix="summit-rehearsal-"))
    started = time.monotonic()
    try:
        rt = prepare_instance(work, scenario, attendees, source)
        with transaction(rt.sessions) as db:
            create_user(db, ADMIN[0], ADMIN[1], "admin")
            tokens = register_devices(db, "rh", "rehearsal")
        with rt.sessions() as db:
            plan = build_plan(db, scenario)
        audio = speak_questions(work) if scenario.question_share > 0 else []
        clock_spec = f"{plan.start.replace(tzinfo=UTC).isoformat()}@{scenario.speed}"
        env = {
            "DATABASE_URL": rt.config.database_url,
            "SUMMIT_CLOCK": clock_spec,
            "RATE_LIMIT_FACTOR": "0",
            # Entrance codes live 30 simulated seconds: at 60x that is half a real second,
            # shorter than a phone-to-gate round trip here. Keep them valid >= 3 real seconds.
            "ENTRANCE_CODE_TTL": str(int(max(30, 3 * scenario.speed))),
        }
        with serve_process(work / "instance", env) as base:
            metrics = Metrics()
            world = _play(base, plan, tokens, metrics, audio, deadline_s)
        report = build_report(rt, plan, metrics, world.scheduler.errors)
        report["wall_seconds"] = round(time.monotonic() - started, 1)
        report["scenario"] = asdict(scenario)
        report["attendees"] = len(plan.attendee_ids)
        rt.close()
        return report
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _play(
    base: str,
    plan: Plan,
    tokens: dict[str, Any],
    metrics: Metrics,
    audio: list[Path],
    deadline_s: float,
) -> World:
    admin = Api(base, metrics)
    admin.login(*ADMIN)
    clock = _server_clock(admin)
    scheduler = Scheduler(clock, lambda gap: _skip(admin, clock, gap))
    devices = Devices(
        airport=Api(base, metrics, tokens["airport"]),
        gates={gid: Api(base, metrics, tok) for gid, tok in tokens["gates"].items()},
        hotels={hid: Api(base, metrics, tok) for hid, tok in tokens["hotels"].items()},
        kiosk=Api(base, metrics, tokens["kiosk"]),
        drivers=tokens["drivers"],
    )
    world = World(
        base,
        plan,
        scheduler,
        metrics,
        admin,
        devices,
        random.Random(plan.scenario.seed),
        audio,
        tokens["hotel_of"],
    )
    cookie = "; ".join(f"{k}={v}" for k, v in admin.http.cookies.items())
    console = LiveClient(base, lambda env: metrics.console_seqs.append(env["seq"]), cookie=cookie)
    console.connect()
    world.start_drivers()
    world.schedule_landings()
    world.schedule_visits()
    world.schedule_questions()
    try:
        scheduler.run_until(plan.end, deadline_s)
        time.sleep(1.0)  # let the last live events arrive
    finally:
        world.stop_drivers()
        console.close()
    return world


def _server_clock(admin: Api) -> SimClock:
    status, body = admin.get("clock", "/api/rehearsal/clock")
    if status != 200 or not body.get("simulated"):
        raise RuntimeError(f"the rehearsal server has no simulated clock: {body}")
    now = datetime.fromisoformat(body["now"]).astimezone(UTC).replace(tzinfo=None)
    return SimClock(now, float(body["speed"]))


def _skip(admin: Api, clock: SimClock, gap: timedelta) -> None:
    status, _ = admin.post(
        "clock_skip", "/api/rehearsal/clock", json={"advance_seconds": int(gap.total_seconds())}
    )
    if status == 200:
        clock.advance(timedelta(seconds=int(gap.total_seconds())))


def save_report(report: dict[str, Any], folder: Path) -> Path:
    """Write the report as JSON into `folder` (named by time and seed); returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"rehearsal-{stamp}-seed{report['scenario']['seed']}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return path
