"""A circuit breaker per action: a service that keeps failing is left alone for a while.

Without it every customer asking about an order while the order service is down would wait the
whole timeout (and its retries) for the same failure. After ``failures`` in a row the circuit opens:
calls fail at once for ``seconds``; then one call is let through to see whether it is back.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Dict


class CircuitBreaker:
    def __init__(self, failures: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.failures, self.seconds, self.clock = failures, seconds, clock
        self._in_a_row: Dict[str, int] = {}
        self._open_until: Dict[str, float] = {}
        self._lock = threading.Lock()

    def allows(self, name: str) -> bool:
        """False while ``name``'s circuit is open; once it has cooled down, one trial call passes."""
        with self._lock:
            until = self._open_until.get(name)
            if until is None:
                return True
            if self.clock() < until:
                return False
            self._open_until[name] = self.clock() + self.seconds  # the trial call; others keep failing fast
            return True

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._in_a_row.pop(name, None)
            self._open_until.pop(name, None)

    def failed(self, name: str) -> None:
        with self._lock:
            self._in_a_row[name] = self._in_a_row.get(name, 0) + 1
            if self._in_a_row[name] >= self.failures:
                self._open_until[name] = self.clock() + self.seconds

    def is_open(self, name: str) -> bool:
        with self._lock:
            return self.clock() < self._open_until.get(name, 0.0)
