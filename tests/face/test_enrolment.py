"""Enrolment over HTTP with the real dlib models on the shared photos."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from flask import Flask

from core.errors import SummitError
from core.runtime import Runtime
from models.face import FaceReview, FaceTemplate, selected_engine
from recognition.face import store
from tests.conftest import Caller, device_caller
from tests.face.conftest import count_templates, jpeg, new_attendee, read, rgb_of
from tests.face.test_images import bomb_png


def post_photo(caller: Caller, attendee_id: int, data: bytes, mimetype: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return caller.post(
        f"/api/attendees/{attendee_id}/faces",
        data={"image": (io.BytesIO(data), "photo.jpg", mimetype)},
        content_type="multipart/form-data",
    )


def test_staff_enrols_a_photo_and_only_ciphertext_is_stored(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    aid = new_attendee(runtime)
    res = post_photo(staff, aid, read(photos, "enroll/obama/obama.jpg"))
    assert res.status_code == 201, res.json
    assert res.json["templates"] == 1 and res.json["quality"]["eye_distance"] > 30
    assert not {"template", "vector", "encoding", "cipher"} & set(res.json)
    with runtime.sessions() as db:
        row = db.query(FaceTemplate).one()
        vector = store.unseal(runtime.templates, row)
        assert row.engine == selected_engine() and vector.shape == (row.dim,)
        assert row.cipher.find(vector.tobytes()[:16]) == -1
        assert row.crop_cipher is not None and b"JFIF" not in row.crop_cipher
        row.attendee_id = aid + 1  # a template moved to someone else must not decrypt
        with pytest.raises(SummitError) as err:
            store.unseal(runtime.templates, row)
        assert err.value.code == "tampered_data"


def test_registration_device_may_enrol_but_a_kiosk_may_not(
    app: Flask, runtime: Runtime, photos: Path
) -> None:
    aid = new_attendee(runtime)
    desk = device_caller(app, runtime, "registration", "reg-desk")
    kiosk = device_caller(app, runtime, "kiosk", "kiosk-9")
    assert post_photo(kiosk, aid, read(photos, "enroll/obama/obama.jpg")).status_code == 403
    assert post_photo(desk, aid, read(photos, "enroll/obama/obama.jpg")).status_code == 201


def test_enrolment_without_consent_is_refused_and_nothing_stored(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    aid = new_attendee(runtime, consent=False)
    res = post_photo(staff, aid, read(photos, "enroll/obama/obama.jpg"))
    assert res.status_code == 403 and res.json["error"] == "no_consent"
    assert count_templates(runtime) == 0


def test_unknown_attendee_is_404(staff: Caller, photos: Path) -> None:
    res = post_photo(staff, 4242, read(photos, "enroll/obama/obama.jpg"))
    assert res.status_code == 404 and res.json["error"] == "attendee_not_found"


BAD_UPLOADS = [
    (b"", "image/jpeg", "invalid_image"),
    (b"%PDF-1.4 not an image at all" * 20, "image/jpeg", "invalid_image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 300, "image/jpeg", "invalid_image"),
    (bomb_png(), "image/png", "image_too_large"),
    (b"hello", "text/plain", "unsupported_media_type"),
]


@pytest.mark.parametrize(("data", "mimetype", "code"), BAD_UPLOADS)
def test_bad_uploads_get_their_code_and_nothing_is_stored(
    staff: Caller, runtime: Runtime, data: bytes, mimetype: str, code: str
) -> None:
    aid = new_attendee(runtime)
    res = post_photo(staff, aid, data, mimetype)
    assert res.json["error"] == code
    assert count_templates(runtime) == 0
    assert staff.get(f"/api/attendees/{aid}").status_code == 200  # still serving


def test_json_instead_of_multipart_is_unsupported_media_type(
    staff: Caller, runtime: Runtime
) -> None:
    aid = new_attendee(runtime)
    res = staff.post(f"/api/attendees/{aid}/faces", json={"image": "x"})
    assert res.status_code == 415 and res.json["error"] == "unsupported_media_type"


def degrade(photos: Path, how: str) -> bytes:
    rgb = rgb_of(photos, "enroll/obama/obama.jpg")
    if how == "no_face":
        return jpeg(np.full((400, 400, 3), 140, np.uint8))
    if how == "face_too_small":
        return jpeg(
            cv2.resize(rgb, (rgb.shape[1] // 5, rgb.shape[0] // 5), interpolation=cv2.INTER_AREA)
        )
    if how == "blurry":
        return jpeg(cv2.GaussianBlur(rgb, (0, 0), 6))
    if how == "bad_exposure":
        return jpeg((rgb.astype(np.float32) * 0.22).astype(np.uint8))
    return read(photos, "group/two_people.jpg")  # multiple_faces


@pytest.mark.parametrize(
    "code", ["no_face", "multiple_faces", "face_too_small", "blurry", "bad_exposure"]
)
def test_quality_gates_refuse_with_a_reason(
    staff: Caller, runtime: Runtime, photos: Path, code: str
) -> None:
    aid = new_attendee(runtime)
    res = post_photo(staff, aid, degrade(photos, code))
    assert res.status_code == 422 and res.json["error"] == code, res.json
    assert count_templates(runtime) == 0


def test_tight_id_photo_crop_is_still_found(
    staff: Caller, runtime: Runtime, photos: Path, engine
) -> None:  # type: ignore[no-untyped-def]
    rgb = rgb_of(photos, "enroll/obama/obama.jpg")
    left, top, right, bottom = engine.detect(rgb)[0].box
    crop = rgb[top - 10 : bottom + 10, left - 5 : right + 5]
    res = post_photo(staff, new_attendee(runtime), jpeg(crop))
    assert res.status_code == 201, res.json


def test_same_face_for_a_second_attendee_waits_for_staff_review(
    staff: Caller, runtime: Runtime, photos: Path
) -> None:
    first, second = new_attendee(runtime), new_attendee(runtime)
    assert post_photo(staff, first, read(photos, "enroll/obama/obama.jpg")).status_code == 201
    res = post_photo(staff, second, read(photos, "enroll/obama/obama2.jpg"))
    assert res.status_code == 202 and res.json["status"] == "review_pending", res.json
    assert res.json["other_attendee_id"] == first
    assert count_templates(runtime) == 1  # nothing enters the gallery before staff decide
    with runtime.sessions() as db:
        assert db.query(FaceReview).one().status == "pending"


def test_delete_removes_every_template(staff: Caller, runtime: Runtime, photos: Path) -> None:
    aid = new_attendee(runtime)
    for name in ("biden.jpg", "biden2.jpg"):
        assert post_photo(staff, aid, read(photos, f"enroll/biden/{name}")).status_code == 201
    res = staff.delete(f"/api/attendees/{aid}/faces")
    assert res.status_code == 200 and res.json["deleted"] == 2
    assert count_templates(runtime) == 0
