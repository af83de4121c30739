"""The recognition pool refuses work beyond its bound at once (503 busy, Retry-After)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from recognition.speech.audio import Pcm, decode_upload
from recognition.speech.catalogue import NO_WORDS
from recognition.speech.engines import transcribe_whole
from recognition.speech.registry import SpeechEngines, SpeechUnavailable
from recognition.speech.synth import speak
from recognition.workers import FACE_NICE, SPEECH_NICE, Busy, RecognitionPool, refuse_if_full


def test_a_full_pool_answers_busy_at_once_and_counts_what_it_did() -> None:
    pool = RecognitionPool(size=1, limit=1)
    try:
        pool.warm()
        worker = threading.Thread(target=pool.call, args=(time.sleep, 1.0))
        worker.start()
        deadline = time.monotonic() + 10
        while pool.stats()["in_hand"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(Busy):
            refuse_if_full(pool)  # the early check a route makes before reading its upload
        refuse_if_full(None)  # no pool (in-process decoding): never busy
        started = time.monotonic()
        with pytest.raises(Busy) as refused:
            pool.call(time.sleep, 0.0)
        assert time.monotonic() - started < 0.5  # refused at once, not queued
        assert refused.value.status == 503 and refused.value.code == "busy"
        assert refused.value.details["retry_after"] >= 1
        worker.join()
        assert pool.call(abs, -3) == 3  # room again once the first call is done
        stats = pool.stats()
        assert stats["refused_busy"] == 2 and stats["done"] == 2 and stats["in_hand"] == 0
        assert stats["compute_ms"]["p99"] >= 1000 and stats["latency_ms"]["count"] == 2
    finally:
        pool.close()


def test_busy_leaves_as_503_with_retry_after(app: Flask) -> None:
    def refuse() -> None:
        raise Busy(retry_after=3)

    app.add_url_rule("/test-busy", "test_busy", refuse)
    res = app.test_client().get("/test-busy")
    assert res.status_code == 503 and res.headers["Retry-After"] == "3"
    body = res.get_json()
    assert body["error"] == "busy" and body["message"] and body["retry_after"] == 3


def _question(folder: Path, text: str) -> Pcm:
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to make test speech (apt-get install them)")
    return decode_upload(speak(text, folder / "q.wav").read_bytes())


def test_a_spoken_question_decodes_in_a_worker_as_in_process_and_errors_arrive_whole(
    tmp_path: Path,
) -> None:
    pcm = _question(tmp_path, "where is my hotel")
    here = transcribe_whole(SpeechEngines(tmp_path).engine("en").open_stream(NO_WORDS), pcm.data)
    pool = RecognitionPool(size=1, nice=SPEECH_NICE, faces=False)
    try:
        there = pool.transcribe(tmp_path, "en", NO_WORDS, pcm)
        assert there == here and there.text.startswith("where")  # the same decoder, the same words
        # An error raised in the worker reaches the caller as itself (code, status, message).
        with pytest.raises(SpeechUnavailable) as missing:
            pool.transcribe(tmp_path, "zh", NO_WORDS, pcm)
        assert missing.value.code == "speech_model_missing" and missing.value.status == 503
        assert pool.call(abs, -1) == 1  # and the pool still works
        stats = pool.stats()
        assert stats["purpose"] == "speech" and stats["done"] == 2 and stats["failed"] == 0
    finally:
        pool.close()


def test_workers_yield_the_cores_to_the_web_process_and_speech_to_faces() -> None:
    """Nice levels: web process 0, face workers FACE_NICE, speech workers SPEECH_NICE."""
    assert 0 < FACE_NICE < SPEECH_NICE
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    faces = RecognitionPool(size=1, nice=FACE_NICE)
    speech = RecognitionPool(size=1, nice=SPEECH_NICE, faces=False)
    try:
        assert faces.call(os.getpriority, os.PRIO_PROCESS, 0) == mine + FACE_NICE
        assert speech.call(os.getpriority, os.PRIO_PROCESS, 0) == mine + SPEECH_NICE
        assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the caller keeps its own
        assert faces.stats()["nice"] == FACE_NICE and speech.stats()["purpose"] == "speech"
    finally:
        faces.close()
        speech.close()
