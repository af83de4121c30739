"""A gentle rehearsal inside the demo server, so a new user sees the summit alive at once.

`python run.py serve --rehearse-speed 20` runs the server on a simulated clock that starts on
the first arrival morning (or where the last demo run stopped) at 20x, and plays the demo
summit against the server itself through its own HTTP and Socket.IO API, as real devices
would. It changes the demo database, as a real summit would; `--rehearse-speed 0` turns it off.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time as wall
from datetime import datetime, time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from core.accounts import create_user
from core.clock import SimClock, save_clock, to_local, to_utc, use_clock
from core.runtime import Runtime
from models import Flight, StaffUser
from models.db import transaction
from rehearsal.actors import Api, Metrics
from rehearsal.behaviour import Devices, World
from rehearsal.engine import Scheduler
from rehearsal.plan import Scenario, build_plan
from rehearsal.runner import register_devices, speak_questions

log = logging.getLogger("summit.rehearsal")
USER = "demo_rehearsal"


def start_clock(rt: Runtime, speed: float) -> SimClock | None:
    """Switch this process to a simulated clock: resume, or start at the first arrival morning."""
    state = _state_path(rt)
    with rt.sessions() as db:
        first = db.scalar(select(func.min(Flight.scheduled_at)).where(Flight.kind == "arrival"))
    if first is None:
        return None
    start = to_utc(datetime.combine(to_local(first).date(), time(7, 0)))
    if state.exists():
        start = max(start, datetime.fromisoformat(json.loads(state.read_text())["now"]))
    clock = SimClock(start, speed)
    use_clock(clock)
    save_clock(clock, state)
    return clock


def run_in_background(rt: Runtime, clock: SimClock, port: int, speed: float) -> threading.Thread:
    """Start the demo rehearsal thread: it waits for the server, then plays to the end."""
    thread = threading.Thread(
        target=_play,
        args=(rt, clock, f"http://127.0.0.1:{port}", speed),
        daemon=True,
        name="demo-rehearsal",
    )
    thread.start()
    return thread


def _state_path(rt: Runtime) -> Path:
    return rt.config.instance_path / "demo-rehearsal.json"


def _play(rt: Runtime, clock: SimClock, base: str, speed: float) -> None:
    try:
        _wait_for(base)
        password, tokens = _accounts(rt)
        with rt.sessions() as db:
            plan = build_plan(db, Scenario(seed=1, speed=speed, question_share=0.02))
        metrics = Metrics()
        admin = Api(base, metrics)
        admin.login(USER, password)
        scheduler = Scheduler(clock, clock.advance, workers=4)
        devices = Devices(
            airport=Api(base, metrics, tokens["airport"]),
            gates={int(k): Api(base, metrics, v) for k, v in tokens["gates"].items()},
            hotels={int(k): Api(base, metrics, v) for k, v in tokens["hotels"].items()},
            kiosk=Api(base, metrics, tokens["kiosk"]),
            drivers={int(k): v for k, v in tokens["drivers"].items()},
        )
        audio = speak_questions(rt.config.instance_path)
        world = World(
            base,
            plan,
            scheduler,
            metrics,
            admin,
            devices,
            random.Random(1),
            audio,
            tokens["hotel_of"],
        )
        since = clock.now()
        world.start_drivers()
        world.schedule_landings(since)
        world.schedule_visits(since)
        world.schedule_questions(since)
        stop = threading.Event()
        _remember(rt, clock, stop)
        scheduler.run_until(plan.end, deadline_s=10 * 24 * 3600)
        stop.set()
    except Exception:  # the demo server keeps serving even if its rehearsal fails
        log.exception("the demo rehearsal stopped")


def _wait_for(base: str) -> None:
    for _ in range(300):
        try:
            if requests.get(f"{base}/api/health", timeout=1).ok:
                return
        except requests.RequestException:
            wall.sleep(0.2)
    raise RuntimeError("the demo server did not come up")


def _accounts(rt: Runtime) -> tuple[str, dict[str, Any]]:
    """A login and fresh device tokens for this run (older demo tokens are simply left unused)."""
    password = secrets.token_urlsafe(18)
    with transaction(rt.sessions) as db:
        user = db.scalar(select(StaffUser).where(StaffUser.username == USER))
        if user is None:
            user = create_user(db, USER, password, "admin")
        user.password_hash = generate_password_hash(password)
        tokens = register_devices(db, f"demo-{secrets.token_hex(3)}", "demo")
    return password, tokens


def _remember(rt: Runtime, clock: SimClock, stop: threading.Event) -> None:
    """Save the simulated time every few seconds so a restarted demo resumes there."""

    def loop() -> None:
        while not stop.wait(5):
            save_clock(clock, _state_path(rt))  # also read by issue-entrance-code

    threading.Thread(target=loop, daemon=True, name="demo-clock-save").start()
