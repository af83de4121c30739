"""Hostile uploads get clean error codes (never 500, nothing stored); limits and cookie flags."""

from __future__ import annotations

import dataclasses
import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.runtime import Runtime
from kiosk_ui.app import create_app
from models import FaceTemplate
from models.db import transaction
from tests.conftest import PASSWORD, Caller, device_caller, login_as
from tests.factories import make_attendee
from web import ratelimit

FACE = "enroll/obama/obama.jpg"


def huge_png() -> bytes:
    """A valid PNG header that claims 100000 x 100000 pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def bad_images(faces_dir: Path) -> dict[str, bytes]:
    real = (faces_dir / FACE).read_bytes()
    return {
        "empty": b"",
        "random": random.Random(1).randbytes(5000),
        "truncated_jpeg": real[: len(real) // 3],
        "jpeg_header_only": real[:20],
        "huge_png": huge_png(),
        "text": b"<svg onload=alert(1)>",
    }


def bad_audio() -> dict[str, bytes]:
    wav_header = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
    return {
        "empty": b"",
        "random": random.Random(2).randbytes(8000),
        "truncated_wav": wav_header,
        "mp3_magic": b"ID3\x04\x00" + b"\x00" * 200,
        "text": b"where is my hotel",
    }


def assert_clean(res, what: str) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= res.status_code < 500, (what, res.status_code, res.data[:300])
    assert isinstance(res.json.get("error"), str) and res.json["error"], (what, res.json)


def test_hostile_images_get_clean_errors_and_store_no_template(
    app: Flask, runtime: Runtime, admin: Caller, faces_dir: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk")
    with transaction(runtime.sessions) as db:
        person = make_attendee(db, runtime.pii).id
    for name, data in bad_images(faces_dir).items():
        res = kiosk.post("/api/recognition/identify", data={"image": (io.BytesIO(data), "x.jpg")})
        assert_clean(res, f"identify {name}")
        res = admin.post(
            f"/api/attendees/{person}/faces", data={"image": (io.BytesIO(data), "x.jpg")}
        )
        assert_clean(res, f"enrol {name}")
    with runtime.sessions() as db:
        assert db.scalar(select(func.count(FaceTemplate.id))) == 0


def test_hostile_audio_gets_clean_errors(app: Flask, runtime: Runtime) -> None:
    kiosk = device_caller(app, runtime, "kiosk")
    for name, data in bad_audio().items():
        res = kiosk.post(
            "/api/speech/query?language=en",
            data={"audio": (io.BytesIO(data), "q.wav", "audio/wav")},
        )
        assert_clean(res, f"speech {name}")


def test_identify_is_rate_limited_per_client(app: Flask, runtime: Runtime) -> None:
    kiosk = device_caller(app, runtime, "kiosk")
    codes = []
    for _ in range(125):
        res = kiosk.post("/api/recognition/identify", data={"image": (io.BytesIO(b""), "x.jpg")})
        codes.append(res.json["error"])
    assert codes[:120].count("rate_limited") == 0
    assert codes[-1] == "rate_limited"


def test_session_cookie_is_httponly_and_samesite(app: Flask, runtime: Runtime) -> None:
    login_as(app, runtime, "staff", "cookie_user")
    res = app.test_client().post(
        "/api/auth/login", json={"username": "cookie_user", "password": PASSWORD}
    )
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.usefixtures("app")
def test_session_cookie_is_secure_when_secure_cookies_is_set(runtime: Runtime) -> None:
    login_as(create_app(runtime=runtime), runtime, "staff", "secure_user")
    ratelimit.reset()
    config = runtime.config.with_changes(secure_cookies=True)
    secure = create_app(runtime=dataclasses.replace(runtime, config=config))
    res = secure.test_client().post(
        "/api/auth/login", json={"username": "secure_user", "password": PASSWORD}
    )
    assert res.status_code == 200, res.json
    assert "Secure" in res.headers["Set-Cookie"] and "HttpOnly" in res.headers["Set-Cookie"]
