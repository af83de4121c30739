"""The simulated clock and the scheduler that runs each action when its moment comes.

Actions run on a small thread pool so a slow request never holds the clock back. When nothing
is due for a while (nights), the clock skips ahead, on the server too, so a two-day summit
rehearses in well under an hour at 60x.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from core.clock import SimClock

log = logging.getLogger("summit.rehearsal")
Action = Callable[[], object]


class Scheduler:
    """A priority queue of (simulated time, action), run against a SimClock."""

    def __init__(
        self,
        clock: SimClock,
        skip: Callable[[timedelta], None],
        workers: int = 8,
        idle_skip: timedelta = timedelta(minutes=20),
    ) -> None:
        self.clock = clock
        self._skip = skip
        self._idle_skip = idle_skip
        self._queue: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim")
        self._running = 0
        self.errors: list[str] = []

    def at(self, when: datetime, action: Action) -> None:
        """Run `action` at simulated time `when` (at once if that moment has passed)."""
        with self._lock:
            heapq.heappush(self._queue, (when, next(self._order), action))
            self._lock.notify()

    def run_until(self, end: datetime, deadline_s: float) -> None:
        """Run actions until the clock passes `end` with nothing left, or the wall deadline."""
        stop = time.monotonic() + deadline_s
        while time.monotonic() < stop:
            with self._lock:
                if not self._queue and self._running == 0 and self.clock.now() >= end:
                    break
                due = self._queue[0][0] if self._queue else end
                gap = due - self.clock.now()
                if gap > self._idle_skip and self._running == 0:
                    self._skip(gap - timedelta(minutes=1))
                    continue
                if gap > timedelta(0):
                    self._lock.wait(min(gap.total_seconds() / self.clock_speed(), 0.5))
                    continue
                if not self._queue:
                    continue
                _when, _n, action = heapq.heappop(self._queue)
                self._running += 1
            self._pool.submit(self._run, action)
        else:
            self.errors.append("the rehearsal hit its wall-clock deadline")
        self._pool.shutdown(wait=True)

    def clock_speed(self) -> float:
        return self.clock._speed

    def _run(self, action: Action) -> None:
        try:
            action()
        except Exception as exc:  # an actor's bug must not stop the rehearsal; it is reported
            log.exception("rehearsal action failed")
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._running -= 1
                self._lock.notify()
