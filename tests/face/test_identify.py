"""Identification over HTTP: masked answers, open-set refusals, device-only, rate limited."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from core.runtime import Runtime
from models.db import transaction
from recognition.face.errors import FaceError
from recognition.face.evaluation import Sample
from tests.conftest import Caller, device_caller
from tests.face.conftest import enrol_vectors, new_attendee, read, seed_templates
from tests.factories import make_gate, make_zone


def identify(caller: Caller, data: bytes, mimetype: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return caller.post(
        "/api/recognition/identify",
        data={"image": (io.BytesIO(data), "frame.jpg", mimetype)},
        content_type="multipart/form-data",
    )


def gallery_of(runtime: Runtime, samples: dict[str, Sample], *names: str) -> dict[str, int]:
    ids = {}
    for name in names:
        ids[name] = new_attendee(runtime, name="张小三" if name == "obama" else "Rose Leslie")
        seed_templates(runtime, ids[name], enrol_vectors(samples, name))
    return ids


def test_kiosk_identifies_an_enrolled_face_with_a_masked_attendee(
    photo_kiosk: Caller, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    ids = gallery_of(runtime, samples, "obama", "biden")
    res = identify(photo_kiosk, read(photos, "probe/obama1.jpg"))
    assert res.status_code == 200, res.json
    body = res.json
    assert body["decision"] == "match" and body["attendee"]["id"] == ids["obama"]
    assert body["attendee"]["name"] == "张*三"
    assert body["distance"] < 0.49 and body["margin"] >= 0.12
    assert not {"template", "vector", "encoding", "attendee_id"} & set(body)
    assert body["purpose"] == "assistant" and len(body["ticket"]) > 40


def test_a_still_photo_is_refused_where_the_device_checks_liveness(
    kiosk: Caller, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    gallery_of(runtime, samples, "obama")
    res = identify(kiosk, read(photos, "probe/obama1.jpg"))
    assert res.status_code == 403
    assert res.json["error"] == "liveness_required" and "ticket" not in res.json


def test_someone_never_enrolled_is_unknown(
    photo_kiosk: Caller, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    gallery_of(runtime, samples, "obama", "biden")
    body = identify(photo_kiosk, read(photos, "probe/kit_harington_johnsnow.jpg")).json
    assert body["decision"] == "unknown" and body["attendee"] is None


def test_two_people_in_view_is_multiple_faces(
    photo_kiosk: Caller, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    gallery_of(runtime, samples, "obama", "biden")
    assert (
        identify(photo_kiosk, read(photos, "group/two_people.jpg")).json["decision"]
        == "multiple_faces"
    )


def test_a_frame_without_a_face_is_no_face_and_junk_is_an_error(photo_kiosk: Caller) -> None:
    import numpy as np

    from tests.face.conftest import jpeg

    assert (
        identify(photo_kiosk, jpeg(np.full((300, 300, 3), 100, np.uint8))).json["decision"]
        == "no_face"
    )
    res = identify(photo_kiosk, b"\x89PNG\r\n\x1a\n garbage")
    assert res.status_code == 422 and res.json["error"] == "invalid_image"


def test_only_devices_identify(staff: Caller, client, photos: Path) -> None:  # type: ignore[no-untyped-def]
    assert identify(staff, read(photos, "probe/obama1.jpg")).status_code == 403
    res = client.post("/api/recognition/identify", data={}, content_type="multipart/form-data")
    assert res.status_code == 401


def test_identify_is_rate_limited(app: Flask, photo_kiosk: Caller) -> None:
    app.config["RATE_LIMIT_FACTOR"] = 2 / 120  # two requests a minute
    codes = [identify(photo_kiosk, b"").status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_gate_searches_only_attendees_allowed_in_its_zone(
    app: Flask, runtime: Runtime, samples: dict[str, Sample], photos: Path
) -> None:
    ids = gallery_of(runtime, samples, "obama")
    with transaction(runtime.sessions) as db:
        vip_gate = make_gate(db, make_zone(db, "vip_lounge", categories="vip"), "V1").id
    gate = device_caller(app, runtime, "gate", "gate-v1", gate_id=vip_gate, liveness=False)
    body = identify(gate, read(photos, "probe/obama1.jpg")).json
    assert ids["obama"] and body["decision"] == "unknown"  # a delegate is not a candidate here


def test_verify_is_one_to_one(runtime: Runtime, samples: dict[str, Sample], photos: Path) -> None:
    from recognition.face.api import face_service
    from recognition.face.images import decode_image

    ids = gallery_of(runtime, samples, "obama", "biden")
    service = face_service(runtime)
    obama = decode_image(read(photos, "probe/obama3.jpg"))
    assert service.verify(obama, ids["obama"]).decision == "match"
    assert service.verify(obama, ids["biden"]).decision == "unknown"
    assert service.verify(obama, ids["biden"]).to_dict()["attendee_id"] is None


def test_with_a_recognition_pool_installed_frames_are_analysed_in_its_workers(
    runtime: Runtime, photos: Path, samples: dict[str, Sample], monkeypatch: pytest.MonkeyPatch
) -> None:
    from recognition.face.api import face_service
    from recognition.workers import RecognitionPool, install

    aid = new_attendee(runtime)
    seed_templates(runtime, aid, enrol_vectors(samples, "obama"))
    pool = RecognitionPool(size=1)
    try:
        install(runtime, pool)
        before = pool.stats()["done"]
        found = face_service(runtime).identify_bytes(read(photos, "probe/obama1.jpg"))
        assert (found.decision, found.attendee_id) == ("match", aid)
        assert pool.stats()["done"] > before
        # An upload is decoded in the worker now: its refusals come back whole, with codes.
        with pytest.raises(FaceError) as bad:
            face_service(runtime).identify_bytes(b"GIF89a not really an image")
        assert (bad.value.code, bad.value.status) == ("invalid_image", 422)
        monkeypatch.setattr(runtime, "config", replace(runtime.config, max_upload_bytes=1000))
        with pytest.raises(FaceError) as big:
            face_service(runtime).identify_bytes(read(photos, "probe/obama1.jpg"))
        assert (big.value.code, big.value.status) == ("image_too_large", 413)
        assert pool.stats()["failed"] == 0
    finally:
        pool.close()
