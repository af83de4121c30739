"""A small in-process sliding-window rate limiter for login and identify (per client address)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

from core.errors import SummitError

F = TypeVar("F", bound=Callable[..., Any])

_hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
_lock = threading.Lock()


def check(bucket: str, key: str, per_minute: int) -> None:
    """Raise `rate_limited` when `key` has used up `per_minute` calls in the last minute."""
    now = time.monotonic()
    with _lock:
        window = _hits[(bucket, key)]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= per_minute:
            raise SummitError("too many requests; wait a minute", "rate_limited", 429)
        window.append(now)


def limit(bucket: str, per_minute: int) -> Callable[[F], F]:
    """Decorate a route with a per-address limit (scaled by app config RATE_LIMIT_FACTOR)."""

    def wrap(fn: F) -> F:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            factor = current_app.config.get("RATE_LIMIT_FACTOR", 1)
            if factor:
                check(bucket, request.remote_addr or "?", per_minute * factor)
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def reset() -> None:
    with _lock:
        _hits.clear()
