"""Hotel check-in throughput: many kiosks at once against one kiosk, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.hotel_bench [--stays 300] [--kiosks 8] [--pg URL]

Each run makes a fresh hotel with room for every guest (blocks with a little slack), then checks
every guest in through `hotel.service.check_in_guest` (the same call the kiosk route makes).
Baseline in the same run: one kiosk checking guests in one after another. The concurrent run
also counts the room collisions that the unique ledger caught and retried. PostgreSQL runs in
its own database (`hotel_bench`, created if missing), never in the test database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from core.clock import to_utc
from core.config import Config
from core.runtime import Runtime, build_runtime, create_schema
from hotel import allocation, service
from hotel.keys import KeyMaker
from models import Attendee, Base, Hotel, Room, RoomBlock, RoomNight, RoomType, Stay
from models.db import transaction

NIGHTS = [date(2026, 12, 7) + timedelta(days=i) for i in range(3)]
ARRIVAL_EVENING = to_utc(datetime(2026, 12, 7, 19, 0))


def prepare(rt: Runtime, stays: int) -> list[int]:
    """One hotel, `stays` king reservations (three nights), rooms and blocks for all of them."""
    with transaction(rt.sessions) as db:
        hotel = Hotel(code="BENCH", name_zh="测试酒店", name_en="Bench Hotel")
        db.add(hotel)
        db.flush()
        king = RoomType(hotel_id=hotel.id, code="KING", name="King", beds=1)
        db.add(king)
        db.flush()
        db.add_all(
            Room(hotel_id=hotel.id, room_type_id=king.id, number=str(1000 + i), floor=1 + i // 40)
            for i in range(stays + 10)
        )
        db.add_all(
            RoomBlock(hotel_id=hotel.id, room_type_id=king.id, night=n, allotment=stays + 5)
            for n in NIGHTS
        )
        people = [
            Attendee(
                ref=f"B{i:05d}",
                name=f"Guest {i}",
                category="delegate",
                id_type="passport",
                id_digest=f"d{i}",
                id_masked="x",
                id_cipher=b"x",
            )
            for i in range(stays)
        ]
        db.add_all(people)
        db.flush()
        rows = [
            Stay(
                attendee_id=p.id,
                hotel_id=hotel.id,
                room_type_id=king.id,
                check_in_date=NIGHTS[0],
                check_out_date=NIGHTS[-1] + timedelta(days=1),
            )
            for p in people
        ]
        db.add_all(rows)
        db.flush()
        return [s.id for s in rows]


def check_in_all(rt: Runtime, stay_ids: list[int], kiosks: int) -> tuple[float, list[float]]:
    """Wall time and per-check-in latencies with `kiosks` threads sharing the queue."""
    keys = KeyMaker.from_runtime(rt)
    queue = list(stay_ids)
    random.Random(1).shuffle(queue)
    lock = threading.Lock()
    latencies: list[float] = []

    def kiosk() -> None:
        while True:
            with lock:
                if not queue:
                    return
                stay_id = queue.pop()
            t0 = time.perf_counter()
            with transaction(rt.sessions) as db:
                service.check_in_guest(db, keys, stay_id, "bench", now=ARRIVAL_EVENING)
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=kiosk) for _ in range(kiosks)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


def verify(rt: Runtime, stays: int) -> None:
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count()).where(Stay.state == "checked_in")) == stays
        assert db.scalar(select(func.count(RoomNight.id))) == stays * len(NIGHTS)
        assert db.scalar(select(func.sum(RoomBlock.used))) == stays * len(NIGHTS)


def run(name: str, make: callable, stays: int, kiosks: int) -> None:  # type: ignore[valid-type]
    collisions = [0]
    original = allocation._take_room

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return original(*args, **kwargs)
        except IntegrityError:
            collisions[0] += 1
            raise

    for label, threads in (("1 kiosk (baseline)", 1), (f"{kiosks} kiosks", kiosks)):
        rt = make()
        ids = prepare(rt, stays)
        collisions[0] = 0
        allocation._take_room = counting  # type: ignore[assignment]
        try:
            wall, lat = check_in_all(rt, ids, threads)
        finally:
            allocation._take_room = original  # type: ignore[assignment]
        verify(rt, stays)
        p95 = sorted(lat)[int(0.95 * (len(lat) - 1))]
        print(
            f"{name:10} {label:20} {stays / wall:8.1f} check-ins/s   "
            f"p50 {statistics.median(lat) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
            f"room collisions retried {collisions[0]}"
        )
        rt.close()


def sqlite_runtime() -> Runtime:
    rt = build_runtime(Config.for_tests(Path(tempfile.mkdtemp(prefix="hotel-bench-"))))
    create_schema(rt)
    return rt


def pg_maker(url: str) -> callable:  # type: ignore[valid-type]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'hotel_bench'")):
            conn.execute(text("CREATE DATABASE hotel_bench"))
    admin.dispose()
    bench_url = url.rsplit("/", 1)[0] + "/hotel_bench"

    def make() -> Runtime:
        rt = build_runtime(
            Config.for_tests(Path(tempfile.mkdtemp(prefix="hotel-bench-")), bench_url)
        )
        Base.metadata.drop_all(rt.engine)
        Base.metadata.create_all(rt.engine)
        return rt

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stays", type=int, default=300)
    parser.add_argument("--kiosks", type=int, default=8)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{args.stays} guests, 3 nights each, one king block with room for all")
    run("SQLite", sqlite_runtime, args.stays, args.kiosks)
    try:
        make = pg_maker(args.pg)
    except Exception as exc:  # PostgreSQL absent: say so and stop
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")
        return
    run("PostgreSQL", make, args.stays, args.kiosks)


if __name__ == "__main__":
    main()
