"""`python run.py serve` is gunicorn with a recognition pool, and a gate pass goes through it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import requests

from core.accounts import create_device, create_user
from core.config import Config
from core.migrate import upgrade_database
from core.runtime import build_runtime
from models.db import transaction
from recognition.speech.synth import speak
from rehearsal.actors import Api, Metrics, Phone, nonce
from tests.browser_support import chromium
from tests.conftest import SHARED_FACES
from tests.factories import make_attendee, make_gate, make_zone
from tests.servers import server

pytestmark = pytest.mark.slow
ADMIN = ("serve_admin", "serve-admin-password")


def prepare(instance: Path) -> tuple[int, str, str, int]:
    """A zone with a gate and a kiosk, one consenting attendee with a face; returns ids/tokens."""
    url = f"sqlite:///{instance / 'summit.db'}"
    rt = build_runtime(Config.for_tests(instance, url).with_changes(testing=False))
    upgrade_database(rt)
    with transaction(rt.sessions) as db:
        create_user(db, *ADMIN, "admin")
        zone = make_zone(db)
        gate = make_gate(db, zone)
        _gate_device, gate_token = create_device(db, "serve-gate", "gate", "t", gate_id=gate.id)
        _kiosk, kiosk_token = create_device(db, "serve-kiosk", "kiosk", "t", liveness=False)
        attendee = make_attendee(db, rt.pii, name="林则徐", consent_face=True).id
        gate_id = gate.id
    rt.close()
    return gate_id, gate_token, kiosk_token, attendee


def wait_for_pool(admin: Api) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pool = admin.get("pool", "/api/system/recognition")[1]["pool"]
        if pool and pool["installed"]:
            return True
        time.sleep(0.2)
    return False


def test_the_production_server_passes_a_gate_and_decodes_faces_in_its_pool(
    tmp_path: Path,
) -> None:
    if not Path(SHARED_FACES).is_dir():
        pytest.skip(f"{SHARED_FACES} is absent; the kiosk needs a real photo")
    gate_id, gate_token, kiosk_token, attendee = prepare(tmp_path)
    env = {"RATE_LIMIT_FACTOR": "0"}
    with server(tmp_path, env) as base:
        metrics = Metrics()
        admin = Api(base, metrics)
        admin.login(*ADMIN)
        code = Phone(base, metrics, admin, attendee).entrance_code()
        assert code, dict(metrics.calls)
        gate = Api(base, metrics, gate_token)
        body = {"method": "code", "code": code, "nonce": nonce()}
        status, answer = gate.post("gate_pass", f"/api/gates/{gate_id}/pass", json=body)
        assert status == 200 and answer["granted"] is True, answer
        # The same pass again (a retry) returns the first decision and stores nothing new.
        status, again = gate.post("gate_pass", f"/api/gates/{gate_id}/pass", json=body)
        assert status == 200 and again["replayed"] and again["event_id"] == answer["event_id"], (
            again
        )

        assert wait_for_pool(admin), "the recognition pool was not installed within 60 s"
        photo = Path(SHARED_FACES) / "enroll" / "obama" / "obama.jpg"
        with photo.open("rb") as fh:
            status, enrolled = admin.post(
                "enrol", f"/api/attendees/{attendee}/faces", files={"image": fh}
            )
        assert status == 201, enrolled
        probe = (Path(SHARED_FACES) / "probe" / "obama1.jpg").read_bytes()
        kiosk = Api(base, metrics, kiosk_token)
        status, found = kiosk.post(
            "identify", "/api/recognition/identify", files={"image": ("p.jpg", probe)}
        )
        assert status == 200 and found["attendee"]["id"] == attendee, found
        system = admin.get("pool", "/api/system/recognition")[1]
        assert system["server"].startswith("gunicorn/"), system  # not Werkzeug's dev server
        assert system["face"] == {"engine": "mobilefacenet", "camera_detector": "blazeface"}
        assert system["speech"] == {"denoise": "auto", "acoustic": "kiosk", "second": "moonshine"}
        pool = system["pool"]
        assert pool is not None and pool["workers"] >= 1, pool
        assert pool["done"] >= 2 and pool["latency_ms"]["p50"] is not None, pool  # enrol + identify

        # A spoken question is decoded in the pool too, not in the web process.
        if shutil.which("espeak-ng"):
            wav = speak("where is my hotel", tmp_path / "q.wav").read_bytes()
            status, heard = kiosk.post(
                "speech", "/api/speech/query", files={"audio": ("q.wav", wav, "audio/wav")}
            )
            assert status == 200 and heard["transcript"].startswith("where"), heard
            speech = admin.get("pool", "/api/system/recognition")[1]["speech_pool"]
            assert speech["done"] == 1 and speech["latency_ms"]["count"] == 1, speech
        assert requests.get(f"{base}/api/system/recognition", timeout=5).status_code == 401

        # The console's devices page shows both pools of the serving process, in words.
        with chromium() as browser:
            page = browser.new_page()
            page.request.post(
                f"{base}/api/auth/login", data={"username": ADMIN[0], "password": ADMIN[1]}
            )
            page.goto(base + "/console/devices")
            page.wait_for_selector("#system tbody tr:nth-child(2)")
            rows = page.inner_text("#system tbody")
            assert "人脸识别" in rows and "语音问答" in rows and "nice 3" in rows, rows
            assert "nice 10" in rows and "ms" in rows, rows
            assert page.inner_text("#system-status").startswith("服务进程 gunicorn")
            engines = page.inner_text("#system-engines")
            assert engines.startswith("人脸：MobileFaceNet 特征；摄像头画面：BlazeFace 检测"), (
                engines
            )
            assert "语音降噪：自动（安静或语音清晰时不处理，稳定噪声用 RNNoise" in engines, engines
            assert "声学模型：已针对自助机环境适配" in engines, engines
            assert "第二识别器：Moonshine tiny（与 PocketSphinx 共同判断" in engines, engines
            page.click("#lang")
            page.wait_for_selector("#system tbody td:text-is('Faces')")
            engines = page.inner_text("#system-engines")
            assert engines.startswith("Faces: MobileFaceNet vectors; camera frames: searched by"), (
                engines
            )
            assert (
                "Speech noise: automatic (untouched in quiet rooms or for a clear voice, RNNoise"
                in engines
            ), engines
            assert "acoustic model: adapted to the kiosk" in engines, engines
            assert "second recogniser: Moonshine tiny (decides with" in engines, engines
