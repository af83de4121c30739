"""The face service other packages use: enrol, delete, identify (1:N), verify (1:1), streams.

    svc = face_service(rt)              # built once per runtime, gallery loaded from the DB
    svc.identify_bytes(jpeg, candidates={...}) -> Identification
    svc.new_stream(liveness=True).feed(rgb, t) -> StreamDecision | None

Heavy work (decode, detect, encode) happens before any row is written, and every refusal is
a FaceError with a stable code, so a refused image leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.audit import audit
from core.errors import NotFound
from core.events import emit, subscribe
from core.runtime import Runtime
from models.attendee import Attendee
from models.face import FaceTemplate
from recognition.face import store
from recognition.face.decision import Identification, Thresholds, identification, load_thresholds
from recognition.face.engine import (
    ENROL,
    ENROL_JITTERS,
    PHOTO,
    DetectOptions,
    Engine,
    Face,
    main_face,
)
from recognition.face.errors import FaceError
from recognition.face.gallery import GalleryIndex
from recognition.face.images import decode_image, ensure_rgb_array
from recognition.face.quality import ENROL_GATES, IDENTIFY_GATES, measure, problem
from recognition.face.stream import FaceStream, StreamConfig, StreamDecision
from recognition.face.sync import GallerySync

__all__ = ["FaceService", "FaceStream", "Identification", "StreamDecision", "face_service"]

MAX_TEMPLATES_PER_ATTENDEE = 5


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide dlib models (about 100 MB; loaded once)."""
    return Engine()


class FaceService:
    """Face use cases over one runtime: its database, key ring and an in-memory gallery."""

    def __init__(self, rt: Runtime, *, listen: bool = True, progress: bool = True) -> None:
        self.rt = rt
        self.engine = get_engine()
        self.thresholds: Thresholds = load_thresholds(_thresholds_path(rt))
        self.index = GalleryIndex()
        interval = float(rt.config.extra.get("FACE_SYNC_INTERVAL", "1.0"))
        self.sync = GallerySync(self.index, rt.sessions, rt.templates, interval=interval)
        self.sync.load(progress=progress)
        self._unsubscribe = subscribe(self.sync.on_event) if listen else None

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- enrolment -------------------------------------------------------------------------
    def enrol(
        self, session: Session, attendee_id: int, image_bytes: bytes, actor: str
    ) -> dict[str, Any]:
        """Quality-check one photo and store its encrypted template for a consenting attendee."""
        # The slow part runs before the first query: on SQLite that query takes the write
        # lock, which other kiosks must not wait a second for.
        rgb = decode_image(
            image_bytes,
            max_bytes=self.rt.config.max_upload_bytes,
            max_pixels=self.rt.config.max_image_pixels,
        )
        face, quality = self._single_face(rgb, ENROL, strict=True)
        vector = self.engine.encode(rgb, face, jitters=ENROL_JITTERS)
        self._refuse_other_identity(vector, attendee_id)
        attendee = _consenting_attendee(session, attendee_id)
        if store.count_templates(session, attendee.id) >= MAX_TEMPLATES_PER_ATTENDEE:
            raise FaceError(
                f"at most {MAX_TEMPLATES_PER_ATTENDEE} photos per attendee; delete some first",
                "too_many_templates",
                409,
            )
        key_id, cipher = store.seal(self.rt.templates, attendee.id, vector)
        row = FaceTemplate(
            attendee_id=attendee.id, key_id=key_id, cipher=cipher, quality=quality["sharpness"]
        )
        session.add(row)
        session.flush()
        count = store.count_templates(session, attendee.id)
        audit(session, actor, "face_enrolled", f"attendee:{attendee.id}", f"template:{row.id}")
        emit(
            session,
            "face_enrolled",
            {"attendee_id": attendee.id, "template_id": row.id, "templates": count},
            ["gallery"],
        )
        return {
            "attendee_id": attendee.id,
            "template_id": row.id,
            "templates": count,
            "quality": quality,
        }

    def _refuse_other_identity(self, vector: np.ndarray, attendee_id: int) -> None:
        # A photo that already matches someone else would let one person in as two; refuse it.
        self.sync.refresh()
        match = self.index.search(vector, exclude=attendee_id)
        if match is not None and match.distance <= self.thresholds.distance:
            raise FaceError(
                "this face is already enrolled for another attendee",
                "face_matches_other_attendee",
                409,
            )

    def delete_faces(self, session: Session, attendee_id: int, actor: str) -> int:
        """Delete every template of one attendee; returns how many were deleted."""
        if session.get(Attendee, attendee_id) is None:
            raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
        deleted = store.delete_templates(session, attendee_id)
        audit(session, actor, "faces_deleted", f"attendee:{attendee_id}", str(deleted))
        emit(session, "faces_deleted", {"attendee_id": attendee_id, "count": deleted}, ["gallery"])
        return deleted

    def purge_all(self, session: Session, actor: str) -> int:
        """Delete every template of everyone (after the event); returns how many went."""
        return purge_biometrics(session, actor)

    # -- identification --------------------------------------------------------------------
    def identify_bytes(
        self, image_bytes: bytes, candidates: Collection[int] | None = None
    ) -> Identification:
        """1:N identification of the main face of an uploaded image."""
        rgb = decode_image(
            image_bytes,
            max_bytes=self.rt.config.max_upload_bytes,
            max_pixels=self.rt.config.max_image_pixels,
        )
        return self.identify_array(rgb, candidates)

    def identify_array(
        self, rgb: np.ndarray, candidates: Collection[int] | None = None
    ) -> Identification:
        """1:N identification of the main face of an RGB frame."""
        rgb = ensure_rgb_array(rgb)
        faces = self.engine.detect(rgb, PHOTO)
        return self.identify_face(rgb, faces, candidates)

    def identify_every_face(
        self, rgb: np.ndarray, candidates: Collection[int] | None = None
    ) -> list[Identification]:
        """1:N for each face of a photo (group photos; searched as thoroughly as enrolment)."""
        rgb = ensure_rgb_array(rgb)
        return [
            self.identify_face(rgb, [face], candidates) for face in self.engine.detect(rgb, ENROL)
        ]

    def identify_face(
        self, rgb: np.ndarray, faces: list[Face], candidates: Collection[int] | None
    ) -> Identification:
        """Decide on already-detected faces: crowd and quality checks, encode, match."""
        main = main_face(faces)
        if main is None:
            return Identification("multiple_faces" if faces else "no_face")
        quality = measure(rgb, main)
        if problem(quality, IDENTIFY_GATES) is not None:
            return Identification("low_quality", quality=quality)
        return self.match_vector(self.engine.encode(rgb, main), candidates, quality)

    def match_vector(
        self, vector: np.ndarray, candidates: Collection[int] | None, quality: dict[str, float]
    ) -> Identification:
        """Apply the open-set rule to one encoding against the (filtered) gallery."""
        self.sync.refresh()
        return identification(self.index.search(vector, candidates), self.thresholds, quality)

    def verify(self, rgb: np.ndarray, attendee_id: int) -> Identification:
        """1:1: is this the given attendee? (match or unknown; no margin against others)."""
        return self.identify_array(rgb, candidates=[attendee_id])

    def new_stream(
        self,
        liveness: bool,
        candidates: Collection[int] | None = None,
        config: StreamConfig | None = None,
    ) -> FaceStream:
        """A per-camera tracker that decides once several frames agree."""
        return FaceStream(self, liveness, candidates, config or StreamConfig())

    def _single_face(
        self, rgb: np.ndarray, opts: DetectOptions, strict: bool
    ) -> tuple[Face, dict[str, float]]:
        faces = self.engine.detect(rgb, opts)
        if not faces:
            raise FaceError("no face was found in the image", "no_face")
        if len(faces) > 1:
            raise FaceError(
                f"{len(faces)} faces were found; exactly one is needed", "multiple_faces"
            )
        quality = measure(rgb, faces[0])
        failure = problem(quality, ENROL_GATES if strict else IDENTIFY_GATES)
        if failure is not None:
            raise failure
        return faces[0], quality


def purge_biometrics(session: Session, actor: str) -> int:
    """Delete every stored face template (no models needed); returns how many went."""
    deleted = store.delete_templates(session)
    audit(session, actor, "biometrics_purged", "face_template", str(deleted))
    emit(session, "faces_purged", {"count": deleted}, ["gallery"])
    return deleted


def _consenting_attendee(session: Session, attendee_id: int) -> Attendee:
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    if not attendee.consent_face:
        raise FaceError("the attendee has not consented to face recognition", "no_consent", 403)
    return attendee


def _thresholds_path(rt: Runtime) -> Path:
    return rt.config.face_thresholds_path or rt.config.instance_path / "face_thresholds.json"


_build_lock = threading.Lock()


def face_service(rt: Runtime) -> FaceService:
    """The runtime's face service, built (and its gallery loaded) on first use."""
    service: FaceService | None = rt.extensions.get("faces")
    if service is None:
        with _build_lock:
            service = rt.extensions.get("faces")
            if service is None:
                service = FaceService(rt, progress=not rt.config.testing)
                rt.extensions["faces"] = service
    return service
