"""Screenshots of every page (zh) for docs/img, on the seeded demo summit plus half an hour of
traffic.

    .venv/bin/python -m tests.console.make_screenshots [--attendees 800]

The demo seed plans the summit (people, flights, hotels, zones, gates). To show a summit in
motion, this script then lands the flights due so far today, puts some landed passengers on the
road and some into their hotels, and writes gate passes spread over the last 30 minutes (rows
written directly, as in tests/console/support.py); then it photographs the pages in Chromium:
the console pages, registration, rehearsal, the delegate's phone, the hotel kiosk, a driver's
phone, and a gate whose (fake) camera sees a delegate's phone code.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from core.alerts import raise_alert
from core.clock import SUMMIT_TZ, utcnow
from core.config import PROJECT_ROOT, Config
from core.runtime import Runtime, build_runtime, create_schema
from kiosk_ui.app import create_app
from models import Attendee, Flight, Gate, Stay, Trip, TripPassenger
from models.db import transaction
from seed import DEMO_PASSWORDS, seed_summit
from tests.browser_support import chromium, live_server
from tests.console.support import record_gate_pass

OUT = PROJECT_ROOT / "docs" / "img"


def shift_to_early_afternoon(rt: Runtime) -> None:
    """Move flight and trip times so that 'now' is 13:00 local on the first arrival day.

    The demo seed plans arrivals from the morning on; run at night, nothing would have landed.
    """
    local = datetime.now(SUMMIT_TZ)
    offset = local - local.replace(hour=13, minute=0, second=0, microsecond=0)
    with transaction(rt.sessions) as db:
        for leg in db.scalars(select(Flight)):
            leg.scheduled_at += offset
            leg.estimated_at = leg.estimated_at + offset if leg.estimated_at else None
        for trip in db.scalars(select(Trip)):
            trip.starts_at, trip.ends_at = trip.starts_at + offset, trip.ends_at + offset


def land_flights(rt: Runtime, rng: random.Random) -> None:
    """Flights due so far have landed; over half their passengers are on the road or at hotels."""
    now = utcnow()
    with transaction(rt.sessions) as db:
        legs = db.scalars(
            select(Flight).where(Flight.kind == "arrival", Flight.scheduled_at <= now)
        ).all()
        for leg in legs:
            due = leg.estimated_at or leg.scheduled_at
            leg.landed_at = min(now, due + timedelta(minutes=rng.randint(-8, 12)))
        rides = (
            select(TripPassenger, Trip)
            .join(Trip)
            .where(Trip.kind == "pickup", Trip.starts_at <= now - timedelta(minutes=20))
        )
        for seat, trip in db.execute(rides).all():
            roll = rng.random()
            if roll < 0.3:
                seat.state, trip.state = "on_board", "departed"
            elif roll < 0.6:
                seat.state, trip.state = "dropped_off", "dropped_off"
                stay = db.scalar(select(Stay).where(Stay.attendee_id == seat.attendee_id))
                if stay is not None:
                    stay.state, stay.checked_in_at = "checked_in", now - timedelta(minutes=20)


def gate_traffic(rt: Runtime, rng: random.Random, people: int) -> None:
    """Passes at the entry gates over the last half hour, busiest at the main entrance."""
    now = utcnow()
    with transaction(rt.sessions) as db:
        gates = db.scalars(select(Gate).where(Gate.direction == "in").order_by(Gate.id)).all()
        ids = db.scalars(select(Attendee.id).order_by(Attendee.id).limit(people)).all()
        for i, attendee_id in enumerate(ids):
            gate = gates[0] if rng.random() < 0.45 else rng.choice(gates)
            at = now - timedelta(seconds=rng.randint(0, 1800) if i % 3 else rng.randint(0, 300))
            denied = rng.random() < 0.03
            record_gate_pass(
                db,
                attendee_id,
                gate.id,
                granted=not denied,
                at=at,
                reason="category_not_allowed" if denied else "checked_in",
            )
        raise_alert(
            db,
            "watchlist_hit",
            f"watchlist_hit at gate {gates[0].code}: 陈*明",
            severity="critical",
            gate_id=gates[0].id,
            security=True,
        )
        raise_alert(
            db,
            "flight_delayed",
            "MU5301 FOC T2: 45 min late, 12 passengers",
            params={"flight": "MU5301", "place": "FOC T2", "minutes": 45, "passengers": 12},
        )
        raise_alert(
            db,
            "driver_silent",
            "Driver 7 has not answered trip 31 for 10 min",
            params={"driver": 7, "trip": 31, "minutes": 10},
        )


def shoot(rt: Runtime, out: Path) -> list[Path]:
    """Photograph the console pages at 1366x768 and on a 2560x1440 wall screen."""
    app = create_app(runtime=rt)
    shots = []
    with live_server(app) as base, chromium() as browser:
        for name, path, user, size in (
            ("console-1366", "/console", "admin", (1366, 768)),
            ("console-wall", "/console", "staff", (2560, 1440)),
            ("console-security", "/console/security", "security", (1366, 768)),
            ("console-attendee", "/console/attendees/3", "admin", (1366, 768)),
            ("registration", "/console/register", "staff", (1366, 768)),
            ("rehearsal", "/rehearsal", "staff", (1366, 768)),
        ):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.request.post(
                f"{base}/api/auth/login", data={"username": user, "password": DEMO_PASSWORDS[user]}
            )
            page.goto(base + path)
            if path not in ("/console/register",):
                page.wait_for_selector("body[data-ready='1']")
            page.wait_for_timeout(600)
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            shots.append(target)
            page.close()
    return shots


def shoot_devices(rt: Runtime, out: Path, tokens: dict[str, str], tmp: Path) -> list[Path]:
    """The delegate, hotel, driver and gate pages, at phone or kiosk size."""
    import base64

    from checkin.codes import issue_code
    from checkin.portal import qr_data_url
    from models import Device
    from tests.checkin.camera_video import write_y4m

    with transaction(rt.sessions) as db:
        gate_id = db.scalar(select(Gate.id).where(Gate.code == "MH-IN1"))
        driver_id = db.scalar(select(Trip.driver_id).where(Trip.driver_id.is_not(None)).limit(1))
        driver_device = db.scalar(select(Device.name).where(Device.driver_id == driver_id))
        delegate = db.scalar(select(Attendee.id).where(Attendee.category == "delegate").limit(1))
    png = tmp / "code.png"
    png.write_bytes(base64.b64decode(qr_data_url(issue_code(rt, int(delegate or 1))).split(",")[1]))
    video = write_y4m(tmp / "code.y4m", png, frames=10)
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    app = create_app(runtime=rt)
    shots = []
    with live_server(app) as base, chromium(camera) as browser:
        staff = browser.new_context()
        staff.request.post(
            f"{base}/api/auth/login",
            data={"username": "staff", "password": DEMO_PASSWORDS["staff"]},
        )
        csrf = staff.request.get(f"{base}/console").text().split('name="csrf" content="')[1]
        link = staff.request.post(
            f"{base}/api/attendees/{delegate}/portal-link",
            headers={"X-CSRF-Token": csrf.split('"')[0]},
        ).json()
        gate_setup = (
            f"localStorage.setItem('summit.device_token', {json.dumps(tokens['gate-MH-IN1'])});"
            f"localStorage.setItem('summit.gate_id', '{gate_id}');"
        )
        for name, path, size, setup, ready in (
            ("gate", "/gate", (1366, 768), gate_setup, "#result:not([hidden])"),
            ("phone", f"/p/{link['code']}", (390, 844), "", "#login button"),
            (
                "hotel-kiosk",
                f"/hotel/kiosk#token={tokens['hotel-desk-FZSL']}",
                (1366, 768),
                "",
                "#start",
            ),
            (
                "driver",
                f"/driver#token={tokens[str(driver_device)]}",
                (390, 844),
                "",
                "body[data-synced]",
            ),
        ):
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            context.add_init_script(setup)
            page = context.new_page()
            page.goto(base + path)
            page.wait_for_selector(ready, timeout=30000)
            if name == "phone":
                page.click("#login button[type=submit]")
                page.wait_for_selector("#qr[src^='data:image/png']")
            page.wait_for_timeout(600)
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            shots.append(target)
            context.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attendees", type=int, default=800)
    args = parser.parse_args()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as tmp:
        rt = build_runtime(Config.for_tests(Path(tmp) / "instance"))
        create_schema(rt)
        seeded = seed_summit(rt, attendees=args.attendees)
        shift_to_early_afternoon(rt)
        land_flights(rt, rng)
        gate_traffic(rt, rng, args.attendees // 3)
        OUT.mkdir(parents=True, exist_ok=True)
        tokens = json.loads(Path(seeded["device_tokens"]).read_text())
        for shot in shoot(rt, OUT) + shoot_devices(rt, OUT, tokens, Path(tmp)):
            print(shot.relative_to(PROJECT_ROOT))
        rt.close()


if __name__ == "__main__":
    main()
