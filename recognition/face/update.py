"""Template updates: a live capture after a verified entrance-code pass becomes a template.

A delegate whose face the gate did not recognise passes by their entrance code; if the gate's
camera saw them at that moment, that capture can join their templates so that the face alone
recognises them next time. Only when all of these hold (each refusal has its code):

- the operator turned updates on (`FACE_TEMPLATE_UPDATES=1`; off by default: `off`);
- the attendee consented to face recognition AND, separately and later than that, to
  template updates (`FaceUpdateConsent`; `no_consent`);
- the capture shows exactly one face (`no_face`, `multiple_faces`) that passes the enrolment
  quality gates (`face_too_small`, `bad_exposure`, `blurry`, `not_frontal`);
- it is plausibly the code's holder: within `update_distance` of one of their own templates,
  a bound looser than the match threshold (that gap is what an update is for) but well below
  the distances between different people (`too_far`; `no_template` when they have none of
  this engine), no other attendee is within the match threshold plus margin, and every other
  attendee is at least the margin further than the holder (`resembles_other`): an update
  never brings a person closer to someone else.

At most `MAX_UPDATES` updated templates per person: the oldest is replaced. Each is stored
with source "update", where it came from (`source_ref`, e.g. "gate:3") and when
(`created_at`), audited (`face_template_updated`). Staff remove them
(`remove_updates`, audited `face_updates_removed`); the attendee's withdrawal of update
consent removes them too. Enrolment templates are never touched here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.clock import iso, utcnow
from core.errors import NotFound, SummitError
from core.events import emit
from core.runtime import Runtime
from models.attendee import Attendee
from models.db import transaction
from models.face import FaceTemplate, FaceUpdateConsent
from recognition.face.api import FaceService, face_service
from recognition.face.engine import ENROL_JITTERS, LIVE
from recognition.face.enrolment import face_crop_jpeg
from recognition.face.errors import FaceError
from recognition.face.images import decode_image
from recognition.face.quality import ENROL_GATES, problem

MAX_UPDATES = 3
log = logging.getLogger(__name__)


def updates_enabled(rt: Runtime) -> bool:
    """Whether the operator turned template updates on (FACE_TEMPLATE_UPDATES=1)."""
    return rt.config.extra.get("FACE_TEMPLATE_UPDATES", "0").strip().lower() in ("1", "true", "on")


@dataclass(frozen=True)
class Capture:
    """What an update would store, computed before any row is written."""

    vector: np.ndarray
    crop: bytes
    quality: dict[str, float]
    own_distance: float


@dataclass(frozen=True)
class Outcome:
    """What happened to one offered capture: `updated` or the refusal's code."""

    status: str
    template_id: int | None = None
    distance: float | None = None


def consents(session: Session, attendee_id: int) -> bool:
    """Consent to faces, and to updates given after the current face consent (a consent to
    updates given before a withdrawal of face consent does not come back with a new one)."""
    attendee = session.get(Attendee, attendee_id)
    row = session.get(FaceUpdateConsent, attendee_id)
    if attendee is None or row is None or not attendee.consent_face:
        return False
    return attendee.consent_face_at is None or row.granted_at >= attendee.consent_face_at


def prepare(svc: FaceService, rgb: np.ndarray, attendee_id: int) -> Capture:
    """Check one capture for an update of this attendee (no database use); FaceError if not."""
    analysis = svc.analyse(rgb, svc.engine_name, LIVE, "main", ENROL_JITTERS, ENROL_GATES)
    if len(analysis.faces) != 1:
        code = "multiple_faces" if analysis.faces else "no_face"
        raise FaceError(f"the capture shows {len(analysis.faces)} faces, not one", code)
    face = analysis.faces[0]
    failure = problem(face.quality, ENROL_GATES)
    if failure is not None:
        raise failure
    if face.embedding is None:  # pragma: no cover - analyse_frame encodes a face that passed
        raise FaceError("the face could not be encoded", "no_face")
    bound = svc.thresholds.update_distance
    if bound is None:
        raise FaceError(f"no update bound calibrated for {svc.engine_name}", "not_calibrated", 409)
    svc.sync.refresh()
    own = svc.index.search(face.embedding, candidates=[attendee_id])
    if own is None:
        raise FaceError("the attendee has no template to update", "no_template", 409)
    if own.distance > bound:
        raise FaceError(f"the capture is {own.distance:.2f} from their templates", "too_far")
    other = svc.index.search(face.embedding, exclude=attendee_id)
    t = svc.thresholds
    # Refused when someone else is within a match (threshold plus margin), or when someone
    # else is not clearly further than the code's holder (the margin rule, the other way).
    if other is not None and (
        other.distance <= t.distance + t.margin or other.distance < own.distance + t.margin
    ):
        raise FaceError("the capture resembles another attendee", "resembles_other", 409)
    crop = face_crop_jpeg(rgb, face.face.box)
    return Capture(face.embedding, crop, face.quality, own.distance)


def store_update(
    svc: FaceService, session: Session, attendee_id: int, cap: Capture, source: str, actor: str
) -> int:
    """Store the capture as an update template (the oldest beyond MAX_UPDATES goes)."""
    old = update_templates(session, attendee_id, svc.engine_name)
    for row in old[: max(0, len(old) - MAX_UPDATES + 1)]:
        _remove(session, row, actor, "replaced")
    ref = source[:80]
    stored = svc.store_template(
        session, attendee_id, cap.vector, cap.crop, cap.quality, actor, "update", ref
    )
    template_id = int(stored["template_id"])
    audit(
        session,
        actor,
        "face_template_updated",
        f"attendee:{attendee_id}",
        f"template:{template_id} {ref} distance={cap.own_distance:.3f}",
    )
    return template_id


def offer_capture(rt: Runtime, attendee_id: int, rgb: np.ndarray, source: str) -> Outcome:
    """After a verified code pass: add the capture as a template when everything allows it.

    Never raises: the pass is already decided and recorded; a refusal is only logged.
    """
    if not updates_enabled(rt):
        return Outcome("off")
    try:
        with transaction(rt.sessions, read_only=True) as session:
            if not consents(session, attendee_id):
                return Outcome("no_consent")
        svc = face_service(rt)
        cap = prepare(svc, rgb, attendee_id)  # slow part: outside any transaction
        with transaction(rt.sessions) as session:
            if not consents(session, attendee_id):  # withdrawn meanwhile
                return Outcome("no_consent")
            template_id = store_update(svc, session, attendee_id, cap, source, "system:update")
    except SummitError as exc:
        log.info("face template update refused: %s", exc.code)
        return Outcome(exc.code)
    except Exception:  # an optional extra must never cost the gate its answer
        log.exception("face template update failed")
        return Outcome("failed")
    return Outcome("updated", template_id, cap.own_distance)


def offer_photo(rt: Runtime, attendee_id: int, image: bytes, source: str) -> Outcome:
    """offer_capture for an uploaded photo (decoded only when updates are on)."""
    if not updates_enabled(rt):
        return Outcome("off")
    try:
        rgb = decode_image(
            image, max_bytes=rt.config.max_upload_bytes, max_pixels=rt.config.max_image_pixels
        )
    except SummitError as exc:
        return Outcome(exc.code)
    return offer_capture(rt, attendee_id, rgb, source)


def update_templates(
    session: Session, attendee_id: int, engine: str | None = None
) -> list[FaceTemplate]:
    """An attendee's updated templates, oldest first."""
    stmt = select(FaceTemplate).where(
        FaceTemplate.attendee_id == attendee_id, FaceTemplate.source == "update"
    )
    if engine is not None:
        stmt = stmt.where(FaceTemplate.engine == engine)
    return list(session.scalars(stmt.order_by(FaceTemplate.created_at, FaceTemplate.id)))


def list_updates(session: Session, attendee_id: int) -> dict[str, Any]:
    """Consent and updated templates of one attendee (when and where; never vectors)."""
    attendee = _attendee(session, attendee_id)
    row = session.get(FaceUpdateConsent, attendee_id)
    return {
        "attendee_id": attendee_id,
        # updates need the consent to face recognition first: pages say so before a tap
        "face_consent": bool(attendee.consent_face),
        "consent": consents(session, attendee_id),
        "consent_at": iso(row.granted_at) if row is not None else None,
        "updates": [
            {
                "template_id": t.id,
                "engine": t.engine,
                "source": t.source_ref,
                "created_at": iso(t.created_at),
            }
            for t in update_templates(session, attendee_id)
        ],
    }


def set_update_consent(session: Session, attendee_id: int, consent: bool, actor: str) -> int:
    """Record the attendee's consent to template updates, or its withdrawal (which removes
    every updated template; returns how many went)."""
    attendee = _attendee(session, attendee_id)
    row = session.get(FaceUpdateConsent, attendee_id)
    removed = 0
    if consent:
        if not attendee.consent_face:
            raise FaceError("the attendee has not consented to face recognition", "no_consent", 403)
        if row is None:
            session.add(
                FaceUpdateConsent(attendee_id=attendee_id, granted_at=utcnow(), recorded_by=actor)
            )
        else:
            row.granted_at, row.recorded_by = utcnow(), actor
    else:
        if row is not None:
            session.delete(row)
        removed = remove_updates(session, attendee_id, actor)
    audit(session, actor, "face_update_consent_changed", f"attendee:{attendee_id}", str(consent))
    return removed


def remove_updates(
    session: Session, attendee_id: int, actor: str, template_id: int | None = None
) -> int:
    """Delete an attendee's updated templates (all, or one); enrolment templates stay."""
    _attendee(session, attendee_id)
    rows = update_templates(session, attendee_id)
    if template_id is not None:
        rows = [r for r in rows if r.id == template_id]
        if not rows:
            raise NotFound(f"no updated template {template_id}", "template_not_found")
    for row in rows:
        _remove(session, row, actor, "removed")
    return len(rows)


def _remove(session: Session, row: FaceTemplate, actor: str, why: str) -> None:
    attendee_id, template_id = row.attendee_id, row.id
    session.delete(row)
    session.flush()
    audit(
        session,
        actor,
        "face_updates_removed",
        f"attendee:{attendee_id}",
        f"template:{template_id} {why}",
    )
    emit(
        session,
        "face_template_removed",
        {"attendee_id": attendee_id, "template_id": template_id},
        ["gallery"],
    )


def _attendee(session: Session, attendee_id: int) -> Attendee:
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    return attendee
