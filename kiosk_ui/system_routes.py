"""`GET /api/system/recognition`: the recognition pool's queue and latency for the console."""

from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify, request

from models.face import selected_engine
from recognition.face.engine import live_detector
from recognition.speech.denoise import front_end
from recognition.speech.moonshine import status as moonshine_status
from recognition.speech.sphinx_lm import acoustic_model
from recognition.workers import pool_of, speech_pool_of
from web.api import documented, runtime
from web.auth import ANY_STAFF, requires

bp = Blueprint("system_routes", __name__)


@bp.get("/api/system/recognition")
@requires(*ANY_STAFF)
@documented(
    None,
    "The answering server process (WSGI server, pid), the face engine and camera-frame "
    "detector (face: engine, camera_detector), the noise front end English speech is heard "
    "through (speech: denoise, auto or rnnoise or subtract or off) and its acoustic model "
    "(speech: acoustic, kiosk = adapted to the kiosk, custom, off, or missing), the second "
    "English recogniser (speech: second, moonshine, off, not_installed or moonshine_missing), "
    "and its face "
    "and speech "
    "worker pools: "
    "workers, nice level, calls queued and in hand, refusals (503 busy) and latency "
    "percentiles in ms; null when this process decodes in its own threads "
    "(--recognition-workers 0, tests).",
)
def recognition_pool() -> Response:
    pool, speech = pool_of(runtime()), speech_pool_of(runtime())
    return jsonify(
        {
            "server": request.environ.get("SERVER_SOFTWARE", ""),
            "pid": os.getpid(),
            "face": {"engine": selected_engine(), "camera_detector": live_detector()},
            "speech": {
                "denoise": front_end(),
                "acoustic": acoustic_model(),
                "second": moonshine_status(),
            },
            "pool": pool.stats() if pool else None,
            "speech_pool": speech.stats() if speech else None,
        }
    )
