"""A small in-process sliding-window rate limiter, per caller.

An authenticated caller (a device or a staff user) is counted by who it is, so two kiosks behind
one NAT address do not share a budget and one device cannot spread its calls over addresses;
anonymous calls (login, the delegate phone) are counted per client address. Every endpoint that
decodes an image or audio carries a limit, because each call costs real CPU and memory.
`RATE_LIMIT_FACTOR` scales every limit (0 switches them off for load runs and rehearsals).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from core.errors import SummitError

F = TypeVar("F", bound=Callable[..., Any])

_hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
_lock = threading.Lock()


def check(bucket: str, key: str, per_minute: float) -> None:
    """Raise `rate_limited` when `key` has used up `per_minute` calls in the last minute."""
    now = time.monotonic()
    with _lock:
        window = _hits[(bucket, key)]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= per_minute:
            raise SummitError("too many requests; wait a minute", "rate_limited", 429)
        window.append(now)


def caller_key() -> str:
    """Who is counted: the authenticated principal (set by `requires`), else the address."""
    principal = g.get("principal")
    if principal is not None:
        return str(principal.actor)
    return f"addr:{request.remote_addr or '?'}"


def limit(bucket: str, per_minute: int) -> Callable[[F], F]:
    """Decorate a route with a per-caller limit (scaled by app config RATE_LIMIT_FACTOR).

    Place it below `@requires(...)` so the caller is known when it counts.
    """

    def wrap(fn: F) -> F:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            factor = current_app.config.get("RATE_LIMIT_FACTOR", 1)
            if factor:
                check(bucket, caller_key(), per_minute * factor)
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def reset() -> None:
    """Forget every count (tests start from zero)."""
    with _lock:
        _hits.clear()
