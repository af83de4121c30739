"""Templates at rest: AES-GCM under the runtime's key ring, bound to their attendee.

The attendee id is the associated data of each ciphertext, so a template row copied onto
another attendee fails authentication instead of letting one person in as another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.crypto import KeyRing
from models.face import FaceTemplate
from recognition.face.gallery import DIM

BATCH = 2000


def aad(attendee_id: int) -> bytes:
    return f"face-template:attendee:{attendee_id}".encode()


def seal(keys: KeyRing, attendee_id: int, vector: np.ndarray) -> tuple[str, bytes]:
    """Encrypt one 128-d float32 template for an attendee."""
    raw = np.asarray(vector, dtype="<f4").reshape(DIM).tobytes()
    return keys.encrypt(raw, aad(attendee_id))


def unseal(keys: KeyRing, row: FaceTemplate) -> np.ndarray:
    """Decrypt one stored template (raises tampered_data / unknown_key on bad rows)."""
    raw = keys.decrypt(row.key_id, row.cipher, aad(row.attendee_id))
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def iter_templates(
    session: Session, keys: KeyRing, after_id: int = 0, ids: list[int] | None = None
) -> Iterator[tuple[int, int, np.ndarray]]:
    """(template id, attendee id, vector) for stored templates, in id order, batch by batch."""
    last = after_id
    while True:
        stmt = select(FaceTemplate).where(FaceTemplate.id > last).order_by(FaceTemplate.id)
        if ids is not None:
            stmt = stmt.where(FaceTemplate.id.in_(ids))
        rows = session.scalars(stmt.limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield row.id, row.attendee_id, unseal(keys, row)
        last = rows[-1].id


def count_templates(session: Session, attendee_id: int | None = None) -> int:
    stmt = select(func.count(FaceTemplate.id))
    if attendee_id is not None:
        stmt = stmt.where(FaceTemplate.attendee_id == attendee_id)
    return int(session.scalar(stmt) or 0)


def delete_templates(session: Session, attendee_id: int | None = None) -> int:
    """Delete the templates of one attendee (or of everyone); returns how many rows went."""
    stmt = delete(FaceTemplate)
    if attendee_id is not None:
        stmt = stmt.where(FaceTemplate.attendee_id == attendee_id)
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


def rotate_keys(
    session: Session, keys: KeyRing, progress: Callable[[int], None] | None = None
) -> int:
    """Re-encrypt every template not under the primary key; returns how many were rewritten."""
    done = 0
    last = 0
    while True:
        rows = session.scalars(
            select(FaceTemplate)
            .where(FaceTemplate.id > last, FaceTemplate.key_id != keys.primary)
            .order_by(FaceTemplate.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return done
        for row in rows:
            row.key_id, row.cipher = seal(keys, row.attendee_id, unseal(keys, row))
        session.flush()
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(len(rows))
