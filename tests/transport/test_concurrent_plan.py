"""Two planning runs at once on PostgreSQL: one wins, the other saves nothing and says so."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from models import Trip, TripPassenger
from models.db import transaction
from tests.transport.helpers import NOW, SUMMIT, make_driver, make_leg, make_passengers
from transport.errors import TransportError
from transport.service import plan_pickups

pytestmark = pytest.mark.postgres


def test_a_second_planner_running_alongside_saves_nothing(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    with transaction(rt.sessions) as db:
        for p in make_passengers(db, rt.pii, 3):
            make_leg(db, p, SUMMIT)
        make_driver(db)
        make_driver(db)
    first = rt.sessions()
    plan_pickups(first, now=NOW)  # holds its rows, not yet committed
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with transaction(rt.sessions) as db:
                plan_pickups(db, now=NOW)
        except TransportError as exc:
            outcome["code"] = exc.code

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(1.0)
    assert thread.is_alive()  # waiting on the first run's unique rows
    first.commit()
    first.close()
    thread.join(10)
    assert outcome == {"code": "concurrent_plan"}
    with rt.sessions() as db:
        assert db.scalar(select(func.count(TripPassenger.id))) == 3
        assert db.scalar(select(func.count(Trip.id))) == 1
