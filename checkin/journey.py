"""The attendee journey: each stage recorded once, in one timeline the console and phone share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import iso, utcnow
from core.errors import NotFound, ValidationError
from core.events import emit
from core.masking import mask_name
from models.attendee import STAGES, Attendee, JourneyStep


def record_stage(
    session: Session,
    attendee_id: int,
    stage: str,
    recorded_by: str,
    *,
    at: datetime | None = None,
    detail: str = "",
) -> bool:
    """Record a journey stage once; returns False if it was already recorded (idempotent).

    Uses INSERT ... ON CONFLICT DO NOTHING on the (attendee, stage) unique key so that two
    devices recording the same stage at once never fail or double-count.
    """
    if stage not in STAGES:
        raise ValidationError(f"unknown journey stage {stage!r}", "invalid_stage")
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    when = at or utcnow()
    values = {
        "attendee_id": attendee_id,
        "stage": stage,
        "at": when,
        "recorded_by": recorded_by,
        "detail": detail,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(JourneyStep)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["attendee_id", "stage"])
    )
    # RETURNING, not rowcount: psycopg reports rowcount -1 for this ORM-enabled INSERT.
    created = session.execute(stmt.returning(JourneyStep.id)).first() is not None
    if created:
        emit(
            session,
            "journey_stage_recorded",
            {
                "attendee_id": attendee_id,
                "name": mask_name(attendee.name),
                "stage": stage,
                "at": iso(when),
                "by": recorded_by,
            },
            ["console"],
        )
    return created


def timeline(session: Session, attendee_id: int) -> list[dict[str, Any]]:
    """The attendee's recorded stages in order of time."""
    steps = session.scalars(
        select(JourneyStep)
        .where(JourneyStep.attendee_id == attendee_id)
        .order_by(JourneyStep.at, JourneyStep.id)
    ).all()
    return [
        {"stage": s.stage, "at": iso(s.at), "by": s.recorded_by, "detail": s.detail} for s in steps
    ]
