"""How fast the console reflects a check-in, next to what one summary read costs, in one run.

    .venv/bin/python -m benchmarks.console_bench [--attendees 2000] [--scans 30]

Seeds the demo summit (create_all, SQLite in a temporary folder) plus gate traffic, opens the
console in Debian's Chromium, then sends entrance-code scans one by one through the real gate
API and measures, for each, the time from the gate's answer to the console's venue counter
showing the new number. Baseline in the same run: GET /api/console/summary from Python (the
database read a live update re-does), and the same summary computed in-process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import delete, select

from core.clock import utcnow
from core.config import Config
from core.runtime import build_runtime, create_schema
from kiosk_ui import console_service
from kiosk_ui.app import create_app
from models import Attendee, Gate, Zone, ZoneRule
from models.db import transaction
from seed import DEMO_PASSWORDS, seed_summit
from tests.browser_support import chromium, live_server
from tests.console.make_screenshots import gate_traffic
from tests.console.support import gate_token, pass_with_code


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--scans", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = build_runtime(Config.for_tests(Path(tmp) / "instance"))
        create_schema(rt)
        seed_summit(rt, attendees=args.attendees)
        gate_traffic(rt, random.Random(8), args.attendees // 3)
        with transaction(rt.sessions) as db:
            gate = db.scalars(select(Gate).where(Gate.code == "MH-IN1")).one()
            # The seed opens the main hall on the summit days only; open it now for the run.
            db.execute(delete(ZoneRule).where(ZoneRule.zone_id == gate.zone_id))
            zone = db.get(Zone, gate.zone_id)
            assert zone is not None
            zone.opens_at = zone.closes_at = None
            people = db.scalars(
                select(Attendee.id)
                .where(Attendee.category == "staff")
                .order_by(Attendee.id.desc())
                .limit(args.scans)
            ).all()
        token = gate_token(rt, gate.id, "bench-gate")
        app = create_app(runtime=rt)
        with live_server(app) as base, chromium() as browser:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.request.post(
                f"{base}/api/auth/login",
                data={"username": "staff", "password": DEMO_PASSWORDS["staff"]},
            )
            page.goto(base + "/console")
            page.wait_for_selector("body[data-ready='1']")
            page.wait_for_selector("#conn[data-state='on']")
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            screen, fetch, inproc = [], [], []
            for attendee_id in people:
                answer = pass_with_code(base, rt, token, gate.id, attendee_id)
                started = time.perf_counter()
                assert answer["granted"], answer
                with rt.sessions() as db:  # what the database says now
                    want = console_service.arrival_counts(db, utcnow())["venue"]
                page.wait_for_selector(f"[data-key='arrivals.venue']:text-is('{want}')")
                screen.append(time.perf_counter() - started)
                t0 = time.perf_counter()
                requests.get(f"{base}/api/console/summary", cookies=cookies, timeout=10)
                fetch.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                with rt.sessions() as db:
                    console_service.summary(db)
                inproc.append(time.perf_counter() - t0)
        rt.close()
    print(f"console latency, {args.attendees} attendees, {len(screen)} scans (SQLite, 1 process)")
    print(f"  check-in -> counter on screen     {ms(screen)}")
    print(f"  baseline: GET /api/console/summary {ms(fetch)}")
    print(f"  baseline: summary() in-process     {ms(inproc)}")


if __name__ == "__main__":
    main()
