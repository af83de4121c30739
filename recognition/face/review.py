"""Duplicate-looking enrolments: held for staff, decided with both faces in view, audited.

A new photo whose vector lies within the match threshold of another attendee could be the
same person registered twice (one person, two badges) or two people who look alike. Neither
a silent refusal nor a silent acceptance is right, so the candidate template waits here,
encrypted and bound to the enrolling attendee, until a staff member approves it (it becomes a
template) or rejects it (it is deleted). The staff console shows both enrolment crops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.clock import utcnow
from core.errors import Conflict, NotFound
from models.face import FaceReview, FaceTemplate
from recognition.face import store
from recognition.face.enrolment import Candidate
from recognition.face.gallery import Match

if TYPE_CHECKING:
    from recognition.face.api import FaceService


def hold_for_review(
    svc: FaceService, session: Session, attendee_id: int, cand: Candidate, match: Match, actor: str
) -> dict[str, Any]:
    """Keep the candidate template pending; returns what the enrolment call answers (202)."""
    keys = svc.rt.templates
    key_id, cipher = store.seal(keys, attendee_id, cand.vector)
    crop_key, crop_cipher = store.seal_crop(keys, attendee_id, cand.crop)
    row = FaceReview(
        attendee_id=attendee_id,
        other_attendee_id=match.attendee_id,
        distance=round(match.distance, 4),
        engine=svc.engine_name,
        key_id=key_id,
        cipher=cipher,
        crop_key_id=crop_key,
        crop_cipher=crop_cipher,
        quality=cand.quality.get("sharpness", 0.0),
        status="pending",
        requested_by=actor,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "face_review_opened",
        f"attendee:{attendee_id}",
        f"review:{row.id} resembles attendee:{match.attendee_id}",
    )
    return {
        "status": "review_pending",
        "review_id": row.id,
        "attendee_id": attendee_id,
        "other_attendee_id": match.attendee_id,
        "engine": svc.engine_name,
        "quality": cand.quality,
    }


def review_view(row: FaceReview) -> dict[str, Any]:
    return {
        "id": row.id,
        "attendee_id": row.attendee_id,
        "other_attendee_id": row.other_attendee_id,
        "distance": row.distance,
        "engine": row.engine,
        "status": row.status,
        "requested_by": row.requested_by,
        "decided_by": row.decided_by,
        "created_at": row.created_at.isoformat() + "Z",
        "decided_at": None if row.decided_at is None else row.decided_at.isoformat() + "Z",
    }


def list_reviews(session: Session, status: str | None = "pending") -> list[FaceReview]:
    stmt = select(FaceReview).order_by(FaceReview.id)
    if status is not None:
        stmt = stmt.where(FaceReview.status == status)
    return list(session.scalars(stmt.limit(200)))


def _pending(session: Session, review_id: int) -> FaceReview:
    row = session.get(FaceReview, review_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no face review {review_id}", "review_not_found")
    if row.status != "pending":
        raise Conflict(f"face review {review_id} was already {row.status}", "review_decided")
    return row


def decide_review(
    svc: FaceService, session: Session, review_id: int, approve: bool, actor: str, reason: str
) -> dict[str, Any]:
    """Approve (store the held template) or reject (delete it); audited either way."""
    row = _pending(session, review_id)
    result: dict[str, Any] = {}
    if approve:
        if row.engine != svc.engine_name:
            raise Conflict(
                f"this review holds a {row.engine} template; the service uses "
                f"{svc.engine_name}: enrol the photo again",
                "engine_changed",
            )
        assert row.key_id is not None and row.cipher is not None
        raw = svc.rt.templates.decrypt(row.key_id, row.cipher, store.aad(row.attendee_id))
        vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        crop = None
        if row.crop_key_id and row.crop_cipher:
            crop = store.unseal_crop(
                svc.rt.templates, row.attendee_id, row.crop_key_id, row.crop_cipher
            )
        result = svc.store_template(
            session, row.attendee_id, vector, crop, {"sharpness": row.quality}, actor
        )
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at = actor, utcnow()
    row.key_id = row.cipher = None
    if not approve:
        row.crop_key_id = row.crop_cipher = None
    audit(
        session,
        actor,
        f"face_review_{row.status}",
        f"attendee:{row.attendee_id}",
        f"review:{row.id} vs attendee:{row.other_attendee_id}; {reason}"[:500],
    )
    return {**review_view(row), "template": result or None}


def review_photo(svc: FaceService, session: Session, review_id: int, which: str) -> bytes:
    """The held crop ("new") or the other attendee's latest enrolment crop ("other")."""
    row = session.get(FaceReview, review_id)
    if row is None:
        raise NotFound(f"no face review {review_id}", "review_not_found")
    keys = svc.rt.templates
    if which == "new":
        if not (row.crop_key_id and row.crop_cipher):
            raise NotFound("this review's photo was deleted", "photo_not_found")
        return store.unseal_crop(keys, row.attendee_id, row.crop_key_id, row.crop_cipher)
    other = session.scalars(
        select(FaceTemplate)
        .where(
            FaceTemplate.attendee_id == row.other_attendee_id,
            FaceTemplate.crop_cipher.is_not(None),
        )
        .order_by(FaceTemplate.id.desc())
        .limit(1)
    ).first()
    if other is None or other.crop_key_id is None or other.crop_cipher is None:
        raise NotFound("no enrolment photo is kept for the other attendee", "photo_not_found")
    return store.unseal_crop(keys, other.attendee_id, other.crop_key_id, other.crop_cipher)
