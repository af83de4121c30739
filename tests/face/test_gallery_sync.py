"""Several server processes stay in step: a second runtime on the same database sees changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checkin.registration import set_face_consent
from core.runtime import Runtime, build_runtime
from models.attendee import Attendee
from models.db import transaction
from models.events import DomainEvent
from recognition.face.api import FaceService, face_service, purge_biometrics
from recognition.face.evaluation import Sample
from tests.face.conftest import enrol_vectors, new_attendee, seed_templates


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[FaceService]:
    """A face service on its own runtime and engine pool, deaf to this process's events."""
    config = runtime.config.with_changes(extra={"FACE_SYNC_INTERVAL": "0"})
    rt = build_runtime(config)
    service = FaceService(rt, listen=False, progress=False)
    yield service
    service.close()
    rt.close()


def probe(samples: dict[str, Sample]):  # type: ignore[no-untyped-def]
    return samples["probe/obama1.jpg"].vectors[0]


def test_enrolment_elsewhere_is_seen_before_the_next_match(
    runtime: Runtime, other_process: FaceService, samples: dict[str, Sample]
) -> None:
    assert other_process.match_vector(probe(samples), None, {}).decision == "unknown"
    aid = new_attendee(runtime)
    seed_templates(runtime, aid, enrol_vectors(samples, "obama"))
    ident = other_process.match_vector(probe(samples), None, {})
    assert ident.decision == "match" and ident.attendee_id == aid


def test_deletion_and_purge_elsewhere_are_honoured(
    runtime: Runtime, other_process: FaceService, samples: dict[str, Sample]
) -> None:
    obama, biden = new_attendee(runtime), new_attendee(runtime)
    seed_templates(runtime, obama, enrol_vectors(samples, "obama"))
    seed_templates(runtime, biden, enrol_vectors(samples, "biden"))
    assert other_process.match_vector(probe(samples), None, {}).attendee_id == obama
    with transaction(runtime.sessions) as db:
        face_service(runtime).delete_faces(db, obama, "test")
    assert other_process.match_vector(probe(samples), None, {}).decision == "unknown"
    assert len(other_process.index) == 2
    with transaction(runtime.sessions) as db:
        purge_biometrics(db, "test")
    other_process.match_vector(probe(samples), None, {})
    assert len(other_process.index) == 0


def test_consent_withdrawal_removes_the_face_from_this_process_at_once(
    runtime: Runtime, samples: dict[str, Sample]
) -> None:
    service = face_service(runtime)
    service.sync.interval = 3600.0  # only the in-process event can trigger the refresh
    aid = new_attendee(runtime)
    seed_templates(runtime, aid, enrol_vectors(samples, "obama"))
    assert service.match_vector(probe(samples), None, {}).attendee_id == aid
    with transaction(runtime.sessions) as db:
        set_face_consent(db, db.get(Attendee, aid), False, "test")  # type: ignore[arg-type]
    assert service.match_vector(probe(samples), None, {}).decision == "unknown"


def test_a_restarted_process_loads_the_gallery_from_the_database(
    runtime: Runtime, samples: dict[str, Sample], tmp_path: Path
) -> None:
    aid = new_attendee(runtime)
    seed_templates(runtime, aid, enrol_vectors(samples, "obama"))
    fresh = build_runtime(runtime.config)
    try:
        service = face_service(fresh)
        assert len(service.index) == 2
        assert service.match_vector(probe(samples), None, {}).attendee_id == aid
    finally:
        fresh.close()


@pytest.mark.postgres
def test_two_processes_on_postgresql_stay_in_step(
    pg_runtime: Runtime, samples: dict[str, Sample]
) -> None:
    config = pg_runtime.config.with_changes(extra={"FACE_SYNC_INTERVAL": "0"})
    rt = build_runtime(config)
    other = FaceService(rt, listen=False, progress=False)
    try:
        aid = new_attendee(pg_runtime)
        seed_templates(pg_runtime, aid, enrol_vectors(samples, "obama"))
        assert other.match_vector(probe(samples), None, {}).attendee_id == aid
        with transaction(pg_runtime.sessions) as db:
            face_service(pg_runtime).delete_faces(db, aid, "test")
        assert other.match_vector(probe(samples), None, {}).decision == "unknown"
    finally:
        other.close()
        rt.close()


def test_a_busy_event_log_is_read_from_where_the_last_refresh_ended(
    runtime: Runtime, other_process: FaceService, samples: dict[str, Sample]
) -> None:
    """Thousands of gate events between two matches: the next refresh reads only the new ones,
    and an enrolment behind them is still seen."""
    from core.events import emit

    sync = other_process.sync
    other_process.match_vector(probe(samples), None, {})
    with transaction(runtime.sessions) as db:
        for i in range(1200):
            emit(db, "gate_passed", {"i": i}, ["console"])
    aid = new_attendee(runtime)
    seed_templates(runtime, aid, enrol_vectors(samples, "obama"))
    ident = other_process.match_vector(probe(samples), None, {})
    assert ident.decision == "match" and ident.attendee_id == aid
    with transaction(runtime.sessions) as db:
        for i in range(300):
            emit(db, "gate_passed", {"i": i}, ["console"])
        top = db.scalar(select(func.max(DomainEvent.id)))
    other_process.match_vector(probe(samples), None, {})
    assert sync.seq == top  # past the gate events, not at the last gallery event
