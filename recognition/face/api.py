"""The face service other packages use: enrol, delete, identify (1:N), verify (1:1), streams.

    svc = face_service(rt)              # built once per runtime, gallery loaded from the DB
    svc.identify_bytes(jpeg, candidates={...}) -> Identification
    svc.new_stream(liveness=True).feed(rgb, t) -> StreamDecision | None

Heavy work (decode, detect, encode) happens before any row is written, and every refusal is
a FaceError with a stable code, so a refused image leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.audit import audit
from core.errors import NotFound
from core.events import emit, subscribe
from core.runtime import Runtime
from models.attendee import Attendee
from models.face import FaceTemplate, selected_engine
from recognition.face import store
from recognition.face.decision import Identification, Thresholds, identification, load_thresholds
from recognition.face.embedders import info_of
from recognition.face.engine import ENROL, PHOTO, Engine, Face, main_face
from recognition.face.enrolment import (
    ENROL_ANALYSIS,
    MAX_PHOTOS,
    Candidate,
    check_agree,
    combine,
    face_crop_jpeg,
    single_face,
)
from recognition.face.errors import FaceError
from recognition.face.frame import FrameAnalysis, analyse_frame, analyse_image, engine_for
from recognition.face.gallery import GalleryIndex
from recognition.face.images import decode_image, ensure_rgb_array
from recognition.face.quality import IDENTIFY_GATES, measure, problem
from recognition.face.stream import FaceStream, StreamConfig, StreamDecision
from recognition.face.sync import GallerySync

__all__ = ["FaceService", "FaceStream", "Identification", "StreamDecision", "face_service"]

MAX_TEMPLATES_PER_ATTENDEE = 5


def get_engine(engine_name: str | None = None) -> Engine:
    """The process-wide models of one engine (default: FACE_ENGINE's; loaded once)."""
    return engine_for(engine_name or selected_engine())


Analyser = Callable[..., FrameAnalysis]


class FaceService:
    """Face use cases over one runtime: its database, key ring and an in-memory gallery.

    The gallery holds the selected engine's templates only (FACE_ENGINE; see models.face).
    All model work goes through `self.analyse` (`frame.analyse_frame` by default; a process
    pool may put its own caller of that same function there).
    """

    def __init__(self, rt: Runtime, *, listen: bool = True, progress: bool = True) -> None:
        self.rt = rt
        self.engine_name = selected_engine()
        self.info = info_of(self.engine_name)
        self.engine = get_engine(self.engine_name)
        self.analyse: Analyser = self._analyse
        self.thresholds: Thresholds = load_thresholds(_thresholds_path(rt), self.engine_name)
        self.index = GalleryIndex(self.info.dim)
        interval = float(rt.config.extra.get("FACE_SYNC_INTERVAL", "1.0"))
        self.sync = GallerySync(
            self.index, rt.sessions, rt.templates, interval=interval, engine=self.engine_name
        )
        self.sync.load(progress=progress)
        self._unsubscribe = subscribe(self.sync.on_event) if listen else None

    def _analyse(self, rgb: np.ndarray, engine_name: str, *args: Any, **kw: Any) -> FrameAnalysis:
        """analyse_frame, here or in the recognition pool's workers (see `_run`)."""
        return self._run(analyse_frame, rgb, engine_name, *args, **kw)

    def _run(self, fn: Callable[..., FrameAnalysis], *args: Any, **kw: Any) -> FrameAnalysis:
        """A per-frame function here, or in the recognition pool's workers when one is
        installed (recognition.workers.install puts a pooled engine, which has `pool`, on the
        service)."""
        pool = getattr(self.engine, "pool", None)
        if pool is not None:
            result: FrameAnalysis = pool.call(fn, *args, **kw)
            return result
        return fn(*args, **kw)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- enrolment -------------------------------------------------------------------------
    def prepare_enrolment(self, images: bytes | list[bytes]) -> Candidate:
        """Decode, check and encode one or several photos of one person (no database use)."""
        photos = [images] if isinstance(images, bytes) else list(images)
        if not 1 <= len(photos) <= MAX_PHOTOS:
            raise FaceError(f"send 1 to {MAX_PHOTOS} photos", "too_many_photos")
        vectors: list[np.ndarray] = []
        crop, quality = b"", {}
        for data in photos:
            rgb = decode_image(
                data,
                max_bytes=self.rt.config.max_upload_bytes,
                max_pixels=self.rt.config.max_image_pixels,
            )
            analysis = self.analyse(rgb, self.engine_name, **ENROL_ANALYSIS)
            vector, q, i = single_face(analysis)
            if not vectors:
                crop, quality = face_crop_jpeg(rgb, analysis.faces[i].face.box), q
            vectors.append(vector)
        check_agree(vectors, self.thresholds.distance * 1.25)
        return Candidate(combine(vectors, self.info.name != "dlib"), quality, crop, len(photos))

    def enrol(
        self, session: Session, attendee_id: int, images: bytes | list[bytes], actor: str
    ) -> dict[str, Any]:
        """Quality-check the photo(s) and store one encrypted template for a consenting
        attendee; a face resembling another attendee waits for staff review instead."""
        # The slow part runs before the first query: on SQLite that query takes the write
        # lock, which other kiosks must not wait a second for.
        cand = self.prepare_enrolment(images)
        self.sync.refresh()
        resembles = self.index.search(cand.vector, exclude=attendee_id)
        attendee = _consenting_attendee(session, attendee_id)
        # Updated templates (recognition.face.update) have their own bound.
        enrolled = store.count_templates(session, attendee.id, self.engine_name, "enrolment")
        if enrolled >= MAX_TEMPLATES_PER_ATTENDEE:
            raise FaceError(
                f"at most {MAX_TEMPLATES_PER_ATTENDEE} photos per attendee; delete some first",
                "too_many_templates",
                409,
            )
        if resembles is not None and resembles.distance <= self.thresholds.distance:
            from recognition.face.review import hold_for_review

            return hold_for_review(self, session, attendee.id, cand, resembles, actor)
        return self.store_template(
            session, attendee.id, cand.vector, cand.crop, cand.quality, actor
        )

    def store_template(
        self,
        session: Session,
        attendee_id: int,
        vector: Any,
        crop: bytes | None,
        quality: dict[str, float],
        actor: str,
        source: str = "enrolment",
        source_ref: str | None = None,
    ) -> dict[str, Any]:
        """Seal and store one template of this engine, with its gallery event and audit."""
        key_id, cipher = store.seal(self.rt.templates, attendee_id, vector)
        row = FaceTemplate(
            attendee_id=attendee_id,
            key_id=key_id,
            cipher=cipher,
            quality=quality.get("sharpness", 0.0),
            engine=self.info.name,
            engine_version=self.info.version,
            dim=self.info.dim,
            source=source,
            source_ref=source_ref,
        )
        if crop:
            row.crop_key_id, row.crop_cipher = store.seal_crop(self.rt.templates, attendee_id, crop)
        session.add(row)
        session.flush()
        count = store.count_templates(session, attendee_id, self.engine_name)
        audit(session, actor, "face_enrolled", f"attendee:{attendee_id}", f"template:{row.id}")
        emit(
            session,
            "face_enrolled",
            {"attendee_id": attendee_id, "template_id": row.id, "templates": count},
            ["gallery"],
        )
        return {
            "status": "enrolled",
            "attendee_id": attendee_id,
            "template_id": row.id,
            "templates": count,
            "engine": self.info.name,
            "quality": quality,
        }

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
        """1:N identification of the main face of an uploaded image (decoded where it is
        analysed: in a pool worker when the server has a pool)."""
        limits = (self.rt.config.max_upload_bytes, self.rt.config.max_image_pixels)
        analysis = self._run(analyse_image, image_bytes, *limits, self.engine_name, PHOTO, "main")
        return self.decide(analysis, candidates)

    def identify_array(
        self, rgb: np.ndarray, candidates: Collection[int] | None = None
    ) -> Identification:
        """1:N identification of the main face of an RGB frame."""
        rgb = ensure_rgb_array(rgb)
        return self.decide(self.analyse(rgb, self.engine_name, PHOTO, "main"), candidates)

    def identify_every_face(
        self, rgb: np.ndarray, candidates: Collection[int] | None = None
    ) -> list[Identification]:
        """1:N for each face of a photo (group photos; searched as thoroughly as enrolment)."""
        rgb = ensure_rgb_array(rgb)
        analysis = self.analyse(rgb, self.engine_name, ENROL, "all")
        return [self._decide_face(f.quality, f.embedding, candidates) for f in analysis.faces]

    def decide(self, analysis: FrameAnalysis, candidates: Collection[int] | None) -> Identification:
        """The open-set decision for the main face of an analysed frame."""
        main = analysis.main_face
        if main is None:
            return Identification("multiple_faces" if analysis.faces else "no_face")
        return self._decide_face(main.quality, main.embedding, candidates)

    def _decide_face(
        self,
        quality: dict[str, float],
        vector: np.ndarray | None,
        candidates: Collection[int] | None,
    ) -> Identification:
        if vector is None:
            return Identification("low_quality", quality=quality)
        return self.match_vector(vector, candidates, quality)

    def identify_face(
        self, rgb: np.ndarray, faces: list[Face], candidates: Collection[int] | None
    ) -> Identification:
        """Decide on faces detected by the caller: crowd and quality checks, encode, match."""
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
