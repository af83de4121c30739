"""A look-alike at enrolment waits for staff (both faces shown, masked), decided and audited;
several photos of one person are averaged; each engine keeps its own gallery."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from flask import Flask

from core.runtime import Runtime
from models.auth import AuditEntry
from models.db import transaction
from models.face import ENGINE_SPACES, FaceTemplate, selected_engine
from recognition.face import store
from recognition.face.api import FaceService
from recognition.face.gallery import GalleryIndex
from recognition.face.reencode import reencode
from recognition.face.sync import GallerySync
from tests.conftest import Caller, device_caller
from tests.face.conftest import count_templates, jpeg, new_attendee, read, rgb_of
from tests.face.test_enrolment import post_photo


def small(photos: Path, rel: str) -> bytes:
    rgb = rgb_of(photos, rel)
    scale = min(1.0, 640 / max(rgb.shape[:2]))
    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    return jpeg(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), 85)


def held_review(staff: Caller, runtime: Runtime, photos: Path) -> tuple[int, int, int]:
    first, second = new_attendee(runtime), new_attendee(runtime)
    assert post_photo(staff, first, read(photos, "enroll/obama/obama.jpg")).status_code == 201
    res = post_photo(staff, second, read(photos, "enroll/obama/obama2.jpg"))
    assert res.status_code == 202, res.json
    return first, second, res.json["review_id"]


def test_staff_see_both_masked_faces_and_an_approval_enrols_and_is_audited(
    app: Flask, staff: Caller, runtime: Runtime, photos: Path
) -> None:
    first, second, review = held_review(staff, runtime, photos)
    listed = staff.get("/api/face-reviews").json["reviews"]
    assert [(r["id"], r["attendee_id"], r["other_attendee_id"]) for r in listed] == [
        (review, second, first)
    ]
    assert "*" in listed[0]["attendee"]["name"] and "*" in listed[0]["other_attendee"]["name"]
    for which in ("new", "other"):
        photo = staff.get(f"/api/face-reviews/{review}/photo/{which}")
        assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8", which
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-7")
    assert kiosk.get("/api/face-reviews").status_code in (401, 403)
    res = staff.post(
        f"/api/face-reviews/{review}/decision", json={"approve": True, "reason": "twins"}
    )
    assert res.status_code == 200 and res.json["status"] == "approved", res.json
    assert count_templates(runtime) == 2
    again = staff.post(f"/api/face-reviews/{review}/decision", json={"approve": False})
    assert (again.status_code, again.json["error"]) == (409, "review_decided")
    with runtime.sessions() as db:
        actions = [a.action for a in db.query(AuditEntry).all()]
    assert "face_review_opened" in actions and "face_review_approved" in actions
    assert staff.get("/api/face-reviews").json["reviews"] == []


def test_a_rejection_stores_nothing_and_deletes_the_held_photo(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    _, _, review = held_review(staff, runtime, photos)
    res = staff.post(f"/api/face-reviews/{review}/decision", json={"approve": False})
    assert res.status_code == 200 and res.json["status"] == "rejected"
    assert count_templates(runtime) == 1
    gone = staff.get(f"/api/face-reviews/{review}/photo/new")
    assert (gone.status_code, gone.json["error"]) == (404, "photo_not_found")


def test_bad_review_requests_get_error_codes(staff: Caller) -> None:
    assert staff.get("/api/face-reviews?status=maybe").json["error"] == "invalid_status"
    res = staff.post("/api/face-reviews/999/decision", json={"approve": "yes please"})
    assert res.status_code == 400
    missing = staff.post("/api/face-reviews/999/decision", json={"approve": True})
    assert (missing.status_code, missing.json["error"]) == (404, "review_not_found")


def test_two_photos_of_one_person_make_one_averaged_template_and_two_people_are_refused(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    def post_many(aid: int, files: list[str]):  # type: ignore[no-untyped-def]
        return staff.post(
            f"/api/attendees/{aid}/faces",
            # re-encoded small: the test client spools bodies over 500 kB to an unclosed file
            data={"image": [(io.BytesIO(small(photos, f)), "p.jpg", "image/jpeg") for f in files]},
            content_type="multipart/form-data",
        )

    aid = new_attendee(runtime)
    res = post_many(aid, ["enroll/biden/biden.jpg", "enroll/biden/biden2.jpg"])
    assert res.status_code == 201 and res.json["templates"] == 1, res.json
    other = new_attendee(runtime)
    res = post_many(other, ["enroll/obama/obama.jpg", "enroll/rose_leslie/img2.jpg"])
    assert (res.status_code, res.json["error"]) == (422, "photos_disagree")
    assert count_templates(runtime) == 1


def test_each_engine_loads_only_its_own_templates(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    aid = new_attendee(runtime)
    assert post_photo(staff, aid, read(photos, "enroll/obama/obama.jpg")).status_code == 201
    with runtime.sessions() as db:
        assert db.query(FaceTemplate).one().engine == selected_engine()
    other = "dlib" if selected_engine() != "dlib" else "mobilefacenet"
    theirs = GalleryIndex(ENGINE_SPACES[other][1])
    assert GallerySync(theirs, runtime.sessions, runtime.templates, engine=other).load(False) == 0
    own = GalleryIndex(ENGINE_SPACES[selected_engine()][1])
    assert GallerySync(own, runtime.sessions, runtime.templates).load(False) == 1


def test_switching_engine_re_encodes_stored_crops_and_names_who_must_enrol_again(
    staff: Caller, runtime: Runtime, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_crop, without = new_attendee(runtime), new_attendee(runtime)
    assert post_photo(staff, with_crop, read(photos, "enroll/obama/obama.jpg")).status_code == 201
    with transaction(runtime.sessions) as db:  # a template from before crops were kept
        vector = np.zeros(ENGINE_SPACES[selected_engine()][1], np.float32)
        key_id, cipher = store.seal(runtime.templates, without, vector)
        db.add(FaceTemplate(attendee_id=without, key_id=key_id, cipher=cipher))
    other = "dlib" if selected_engine() != "dlib" else "mobilefacenet"
    monkeypatch.setenv("FACE_ENGINE", other)
    svc = FaceService(runtime, listen=False, progress=False)
    with transaction(runtime.sessions) as db:
        done = reencode(svc, db, "test")
    assert (done.written, done.attendees, done.need_enrolment) == (1, 1, [without])
    with runtime.sessions() as db:
        rows = db.query(FaceTemplate).filter_by(attendee_id=with_crop).all()
    assert sorted(r.engine for r in rows) == sorted(["dlib", "mobilefacenet"])
    svc.sync.load(progress=False)
    found = svc.identify_array(rgb_of(photos, "enroll/obama/obama2.jpg"))
    assert (found.decision, found.attendee_id) == ("match", with_crop)
