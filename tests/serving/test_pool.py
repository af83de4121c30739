"""The recognition pool refuses work beyond its bound at once (503 busy, Retry-After)."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from recognition.workers import Busy, RecognitionPool


def test_a_full_pool_answers_busy_at_once_and_counts_what_it_did() -> None:
    pool = RecognitionPool(size=1, limit=1)
    try:
        pool.warm()
        worker = threading.Thread(target=pool.call, args=(time.sleep, 1.0))
        worker.start()
        deadline = time.monotonic() + 10
        while pool.stats()["in_hand"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Busy) as refused:
            pool.call(time.sleep, 0.0)
        assert time.monotonic() - started < 0.5  # refused at once, not queued
        assert refused.value.status == 503 and refused.value.code == "busy"
        assert refused.value.details["retry_after"] >= 1
        worker.join()
        assert pool.call(abs, -3) == 3  # room again once the first call is done
        stats = pool.stats()
        assert stats["refused_busy"] == 1 and stats["done"] == 2 and stats["in_hand"] == 0
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
