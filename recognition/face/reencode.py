"""After an engine switch: templates for the selected engine from the stored enrolment crops.

Every template stored since migration 0004 keeps its enrolment crop (encrypted like the
template). For each attendee with templates of another engine but none of the selected one,
each crop is decoded, searched and encoded with the selected engine and stored as a new
template (the old ones stay; spaces are never mixed). Attendees without any crop are listed:
they must be enrolled again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from models.face import FaceTemplate
from recognition.face import store
from recognition.face.api import FaceService
from recognition.face.enrolment import ENROL_ANALYSIS
from recognition.face.errors import FaceError
from recognition.face.images import decode_image


@dataclass
class Reencoded:
    written: int = 0
    attendees: int = 0
    need_enrolment: list[int] = field(default_factory=list)


def reencode(svc: FaceService, session: Session, actor: str) -> Reencoded:
    """Encode the selected engine's templates from stored crops; report who needs enrolment."""
    name = svc.engine_name
    rows = session.scalars(select(FaceTemplate).order_by(FaceTemplate.id)).all()
    have = {r.attendee_id for r in rows if r.engine == name}
    todo: dict[int, list[FaceTemplate]] = {}
    for r in rows:
        if r.engine != name and r.attendee_id not in have:
            todo.setdefault(r.attendee_id, []).append(r)
    if not todo:
        raise FaceError(f"every attendee already has a {name} template", "nothing_to_do", 409)
    out = Reencoded()
    for attendee_id, old in todo.items():
        done = 0
        for row in old:
            if not (row.crop_key_id and row.crop_cipher):
                continue
            crop = store.unseal_crop(
                svc.rt.templates, attendee_id, row.crop_key_id, row.crop_cipher
            )
            analysis = svc.analyse(decode_image(crop), name, **ENROL_ANALYSIS)
            main = analysis.main_face
            if main is None or main.embedding is None:
                continue
            svc.store_template(
                session,
                attendee_id,
                main.embedding,
                crop,
                main.quality,
                actor,
                row.source,  # an updated template stays one (bounded, removable as such)
                row.source_ref,
            )
            done += 1
        if done:
            out.written += done
            out.attendees += 1
        else:
            out.need_enrolment.append(attendee_id)
    audit(session, actor, "faces_reencoded", f"engine:{name}", f"{out.written} templates")
    return out
