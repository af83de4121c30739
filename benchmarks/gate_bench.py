#!/usr/bin/env python3
"""People per minute through one gate server process, with N camera devices at once.

    .venv/bin/python benchmarks/gate_bench.py                  # N = 1 (baseline), 2, 4, 8
    .venv/bin/python benchmarks/gate_bench.py --devices 1,4 --seconds 20

Builds a throw-away instance: one zone with a lane (gate) per device, the identities of
../shared/data/faces enrolled with the real engine, one kiosk device bound to each lane
(liveness off, as for a staff-watched kiosk: a still photo cannot blink; with liveness on a
decision waits for the person's blink). A
separate server process (`--serve`) runs the real app; each device is a python-socketio client
sending real 480x360 JPEG frames of a probe photo (with sensor noise) one at a time, as the gate
page does, until the decision for that person arrives; then the next person steps up.
The baseline is one device: the server sees one face at a time.

Not a capacity figure: liveness is off, five identities pass again and again (after the first
pass each one is `already_checked_in`), and the server is the single Werkzeug process of before
issue 17. Capacity with liveness on, real passes and the production server:
benchmarks/capacity.py (docs/deployment.md).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402

FACES = ROOT.parent / "shared" / "data" / "faces"
# identity -> (enrolment photos, probe photo the camera sees)
PEOPLE = {
    "obama": (["enroll/obama/obama.jpg", "enroll/obama/obama2.jpg"], "probe/obama1.jpg"),
    "kit_harington": (["enroll/kit_harington/john1.jpeg"], "probe/kit_harington_johnsnow.jpg"),
    "alex_lacamoire": (["enroll/alex_lacamoire/img1.jpg"], "probe/alex_lacamoire1.jpg"),
    "rose_leslie": (["enroll/rose_leslie/img1.jpg"], "enroll/rose_leslie/img2.jpg"),
    "biden": (["enroll/biden/biden.jpg"], "enroll/biden/biden2.jpg"),
}
EXTRA = {"GATE_HOLD_SECONDS": "0", "FACE_SYNC_INTERVAL": "3600"}


def config(instance: Path):  # type: ignore[no-untyped-def]
    from core.config import Config

    return Config.for_tests(instance).with_changes(testing=False, extra=EXTRA)


def prepare(instance: Path, lanes: int) -> list[tuple[int, str]]:
    """Schema, venue, enrolled people and one kiosk per lane; returns (gate id, token) per lane."""
    from core.accounts import create_device
    from core.runtime import build_runtime, create_schema
    from models.db import transaction
    from recognition.face.api import face_service
    from tests.factories import make_attendee, make_gate, make_zone

    rt = build_runtime(config(instance))
    create_schema(rt)
    svc = face_service(rt)
    with transaction(rt.sessions) as db:
        zone = make_zone(db)
        people = {
            who: make_attendee(db, rt.pii, name=who.replace("_", " ").title()).id for who in PEOPLE
        }
        lanes_out = []
        for i in range(lanes):
            gate = make_gate(db, zone, f"L{i + 1}")
            _device, token = create_device(
                db, f"bench-kiosk-{i + 1}", "kiosk", "bench", gate_id=gate.id, liveness=False
            )
            lanes_out.append((gate.id, token))
    for who, (photos, _probe) in PEOPLE.items():
        for photo in photos:
            svc.sync.refresh()
            with transaction(rt.sessions) as db:
                svc.enrol(db, people[who], (FACES / photo).read_bytes(), "bench")
    rt.close()
    return lanes_out


def frames_of(photo: Path, count: int = 12) -> list[bytes]:
    """A camera's view of a person: the photo in a 480x360 frame with changing sensor noise."""
    bgr = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    scale = min(480 / bgr.shape[1], 360 / bgr.shape[0]) * 0.95
    face = cv2.resize(
        bgr, (int(bgr.shape[1] * scale), int(bgr.shape[0] * scale)), interpolation=cv2.INTER_AREA
    )
    canvas = np.full((360, 480, 3), 110, np.uint8)
    top, left = (360 - face.shape[0]) // 2, (480 - face.shape[1]) // 2
    canvas[top : top + face.shape[0], left : left + face.shape[1]] = face
    rng = np.random.default_rng(7)
    out = []
    for _ in range(count):
        noisy = np.clip(canvas.astype(np.int16) + rng.integers(-3, 4, canvas.shape), 0, 255).astype(
            np.uint8
        )
        out.append(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    return out


def serve(instance: Path, port: int) -> None:
    """The server process: the real app (HTTP + Socket.IO, threading mode)."""
    from kiosk_ui.app import create_app
    from web.extensions import socketio as sio

    app = create_app(config(instance))
    sio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, log_output=False)


def device(
    base: str,
    gate_id: int,
    token: str,
    people: list[list[bytes]],
    until: float,
    stats: dict[str, list[Any]],
    lock: threading.Lock,
    seed: int,
) -> None:
    """One camera: people step up in turn; frames go one at a time until the decision arrives."""
    client = socketio.Client(reconnection=False)
    client.connect(base, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    rng = random.Random(seed)
    t = 0.0
    try:
        while time.monotonic() < until:
            frames = people[rng.randrange(len(people))]
            started = time.monotonic()
            for frame in frames * 3:
                sent = time.monotonic()
                ack = client.call(
                    "camera_frame",
                    {"image": frame, "t": t, "purpose": "gate", "gate_id": gate_id},
                    namespace="/live",
                    timeout=30,
                )
                t += 0.25
                with lock:
                    stats["frame"].append(time.monotonic() - sent)
                if "decision" in ack:
                    with lock:
                        stats["reasons"].append(ack["decision"]["reason"])
                        stats["person"].append(time.monotonic() - started)
                    break
                if "error" in ack:
                    raise RuntimeError(ack)
    finally:
        client.disconnect()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    base: str,
    lanes: list[tuple[int, str]],
    seconds: float,
    people: list[list[bytes]],
    server_pid: int,
) -> dict[str, Any]:
    """N devices for `seconds`; people/min, server cores used, decision latency percentiles."""
    stats: dict[str, list[Any]] = {
        "frame": [],
        "person": [],
        "granted": [],
        "refused": [],
        "reasons": [],
    }
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=device, args=(base, g, tok, people, until, stats, lock, i))
        for i, (g, tok) in enumerate(lanes)
    ]
    cpu0, start = cpu_seconds(server_pid), time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start
    cores = (cpu_seconds(server_pid) - cpu0) / elapsed
    lat = sorted(stats["person"])

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    per_min = len(lat) / elapsed * 60
    return {
        "people": len(lat),
        "per_min": per_min,
        "cores": cores,
        "per_core": per_min / max(cores, 1e-9),
        "p50": pct(0.5),
        "p95": pct(0.95),
        "frame_p50": statistics.median(stats["frame"]) * 1000 if stats["frame"] else float("nan"),
        "reasons": Counter(stats["reasons"]),
    }


def start_server(instance: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.servers import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(instance), str(port)],
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if requests.get(f"{base}/api/health", timeout=1).ok:
                return server, base
        except requests.ConnectionError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the gate server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", default="1,2,4,8", help="comma-separated device counts")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per run")
    parser.add_argument("--serve", nargs=2, metavar=("INSTANCE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    counts = [int(n) for n in args.devices.split(",")]
    instance = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    lanes = prepare(instance, max(counts))
    people = [frames_of(FACES / probe) for _photos, probe in PEOPLE.values()]
    server, base = start_server(instance)
    reasons: Counter[str] = Counter()
    try:
        run(base, lanes[:1], 3.0, people, server.pid)  # warm-up: models loaded, gallery read
        import dlib

        print(
            f"machine: {os.cpu_count()} cores; {args.seconds:.0f} s per run; "
            f"{len(PEOPLE)} enrolled identities; frames 480x360 JPEG; "
            f"BLAS in dlib: {bool(getattr(dlib, 'DLIB_USE_BLAS', False))}"
        )
        print(
            f"{'devices':>9} {'people':>7} {'people/min':>11} {'cores':>6} {'/min/core':>10} "
            f"{'CPU ms/person':>14} {'p50 ms':>8} {'p95 ms':>8} {'frame p50':>10}"
        )
        for n in counts:
            r = run(base, lanes[:n], args.seconds, people, server.pid)
            reasons.update(r["reasons"])
            label = f"{n} (base)" if n == 1 else str(n)
            print(
                f"{label:>9} {r['people']:>7} {r['per_min']:>11.1f} {r['cores']:>6.2f} "
                f"{r['per_core']:>10.1f} {60000 / r['per_core']:>14.0f} {r['p50']:>8.0f} "
                f"{r['p95']:>8.0f} {r['frame_p50']:>10.0f}"
            )
        print("decisions by reason:", dict(sorted(reasons.items())))
        print(
            "load average during the runs (other work on this machine slows wall times):",
            Path("/proc/loadavg").read_text().split()[:3],
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
