"""Constraints refuse invalid states; migrations build the same schema on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Config
from core.migrate import upgrade_database
from core.runtime import Runtime, build_runtime
from models import Base, Hotel, JourneyStep, Room, RoomBlock, RoomType, Trip, Vehicle
from models.db import transaction
from tests.conftest import PG_URL, postgres_available, reset_postgres
from tests.factories import at, make_attendee


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request: pytest.FixtureRequest) -> Runtime:
    if request.param == "sqlite":
        return request.getfixturevalue("runtime")  # type: ignore[no-any-return]
    return request.getfixturevalue("pg_runtime")  # type: ignore[no-any-return]


def refused(rt: Runtime, build: Callable[[Session], None]) -> bool:
    try:
        with transaction(rt.sessions) as db:
            build(db)
            db.flush()
    except IntegrityError:
        return True
    return False


def hotel_rows(db: Session) -> tuple[Hotel, RoomType]:
    hotel = Hotel(code="H1", name_zh="酒店", name_en="Hotel")
    db.add(hotel)
    db.flush()
    rtype = RoomType(hotel_id=hotel.id, code="KING", name="King", beds=1)
    db.add(rtype)
    db.flush()
    return hotel, rtype


def test_constraints_refuse_invalid_states(any_runtime: Runtime) -> None:
    rt = any_runtime
    with transaction(rt.sessions) as db:
        person = make_attendee(db, rt.pii)
        pid = person.id
    assert refused(
        rt, lambda db: db.add(JourneyStep(attendee_id=pid, stage="registered", recorded_by="x"))
    )
    assert refused(
        rt, lambda db: db.add(JourneyStep(attendee_id=pid, stage="teleported", recorded_by="x"))
    )
    assert refused(rt, lambda db: setattr(db.get(type(person), pid), "category", "king"))
    assert refused(rt, lambda db: setattr(db.get(type(person), pid), "consent_face_at", None))
    assert refused(rt, lambda db: db.add(Vehicle(plate="闽A1", kind="van", capacity=0)))
    assert refused(
        rt, lambda db: db.add(Trip(kind="pickup", place="FOC", starts_at=at(2), ends_at=at(1)))
    )

    def overfull_block(db: Session) -> None:
        _hotel, rtype = hotel_rows(db)
        db.add(RoomBlock(room_type_id=rtype.id, night=date(2026, 12, 8), allotment=1, used=2))

    def duplicate_room(db: Session) -> None:
        hotel, rtype = hotel_rows(db)
        db.add_all(
            [
                Room(hotel_id=hotel.id, room_type_id=rtype.id, number="101"),
                Room(hotel_id=hotel.id, room_type_id=rtype.id, number="101"),
            ]
        )

    assert refused(rt, overfull_block)
    assert refused(rt, duplicate_room)
    assert refused(
        rt, lambda db: db.add(JourneyStep(attendee_id=99999, stage="arrived", recorded_by="x"))
    )


def _schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    return list(diff)


def test_migrations_build_the_model_schema_on_sqlite(tmp_path: Path) -> None:
    rt = build_runtime(Config.for_tests(tmp_path, f"sqlite:///{tmp_path / 'mig.db'}"))
    upgrade_database(rt)
    upgrade_database(rt)  # a second run is a no-op
    assert "attendee" in inspect(rt.engine).get_table_names()
    assert _schema_diff(str(rt.engine.url)) == []
    rt.close()


@pytest.mark.postgres
def test_migrations_build_the_model_schema_on_postgresql(tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    reset_postgres(PG_URL)
    rt = build_runtime(Config.for_tests(tmp_path, PG_URL))
    upgrade_database(rt)
    assert _schema_diff(PG_URL) == []
    rt.close()
