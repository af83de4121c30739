"""Templates at rest: AES-GCM under the runtime's key ring, bound to their attendee.

The attendee id is the associated data of each ciphertext, so a template row copied onto
another attendee fails authentication instead of letting one person in as another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.crypto import KeyRing
from models.face import ENGINE_SPACES, FaceTemplate, selected_engine

BATCH = 2000
log = logging.getLogger(__name__)


def aad(attendee_id: int) -> bytes:
    return f"face-template:attendee:{attendee_id}".encode()


def crop_aad(attendee_id: int) -> bytes:
    return f"face-crop:attendee:{attendee_id}".encode()


def seal(keys: KeyRing, attendee_id: int, vector: np.ndarray) -> tuple[str, bytes]:
    """Encrypt one float32 template (128-d dlib, 192-d MobileFaceNet) for an attendee."""
    raw = np.asarray(vector, dtype="<f4").reshape(-1).tobytes()
    return keys.encrypt(raw, aad(attendee_id))


def seal_crop(keys: KeyRing, attendee_id: int, jpeg: bytes) -> tuple[str, bytes]:
    """Encrypt an enrolment face crop (JPEG bytes) for an attendee."""
    return keys.encrypt(jpeg, crop_aad(attendee_id))


def unseal_crop(keys: KeyRing, attendee_id: int, key_id: str, cipher: bytes) -> bytes:
    return keys.decrypt(key_id, cipher, crop_aad(attendee_id))


def unseal(keys: KeyRing, row: FaceTemplate) -> np.ndarray:
    """Decrypt one stored template (raises tampered_data / unknown_key on bad rows)."""
    raw = keys.decrypt(row.key_id, row.cipher, aad(row.attendee_id))
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def iter_templates(
    session: Session,
    keys: KeyRing,
    after_id: int = 0,
    ids: list[int] | None = None,
    engine: str | None = None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """(template id, attendee id, vector) of one engine's templates (default: the selected
    engine's), in id order, batch by batch: spaces are never mixed."""
    last = after_id
    engine = engine or selected_engine()
    want = ENGINE_SPACES[engine][1]
    while True:
        stmt = (
            select(FaceTemplate)
            .where(FaceTemplate.id > last, FaceTemplate.engine == engine)
            .order_by(FaceTemplate.id)
        )
        if ids is not None:
            stmt = stmt.where(FaceTemplate.id.in_(ids))
        rows = session.scalars(stmt.limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            vector = unseal(keys, row)
            if len(vector) != want:  # mislabelled row: never put it in this engine's space
                log.warning(
                    "face template %s has %d values, not %d: skipped", row.id, len(vector), want
                )
                continue
            yield row.id, row.attendee_id, vector
        last = rows[-1].id


def count_templates(
    session: Session,
    attendee_id: int | None = None,
    engine: str | None = None,
    source: str | None = None,
) -> int:
    """Stored templates (of one attendee, engine and/or source; all by default)."""
    stmt = select(func.count(FaceTemplate.id))
    if source is not None:
        stmt = stmt.where(FaceTemplate.source == source)
    if engine is not None:
        stmt = stmt.where(FaceTemplate.engine == engine)
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
