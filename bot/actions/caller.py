"""Calls to the business's own systems: signed, bounded in time and in number, retried, broken when down.

Each call is an HTTP request built from the action's URL template (inputs percent-encoded: an order
number cannot reach another path), signed like faqbot's webhooks (``X-Faqbot-Timestamp`` and
``X-Faqbot-Signature: sha256=HMAC(secret, "<timestamp>.<METHOD>.<path>.<body>")``, handoff/webhooks.py),
given ``timeout_seconds`` per attempt and retried with exponential back-off on a timeout, a refused
connection or a 5xx. At most ``pool`` calls run at once per process: one more fails at once (busy)
rather than queueing customers behind a slow service; and while a call waits, its answering slot
serves other customers (bot/actions/waiting.py). A 404 means the thing looked up does not exist.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from bot.action_settings import ActionSpec
from bot.actions.breaker import CircuitBreaker
from bot.actions.waiting import away_from_turn
from bot.privacy import MaskingFilter
from handoff.webhooks import sign

log = logging.getLogger("faqbot.actions")
log.addFilter(MaskingFilter())
MAX_RESPONSE_BYTES = 100_000
OUTCOMES = ("ok", "not_found", "timeout", "error", "busy", "circuit_open")


@dataclass(frozen=True)
class Lookup:
    """One action run: what it was asked, how it ended, and the result's fields."""
    action: str
    inputs: Dict[str, str]
    outcome: str  # one of OUTCOMES
    result: Dict[str, object] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_dict(self) -> dict:
        return {"action": self.action, "inputs": self.inputs, "outcome": self.outcome, "result": self.result,
                "error": self.error, "seconds": round(self.seconds, 3)}


class ActionCaller:
    def __init__(self, secret: str = "", pool: int = 8, breaker: Optional[CircuitBreaker] = None,
                 counted: Callable[[str, str], None] = lambda action, outcome: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.secret = secret
        self.breaker = breaker or CircuitBreaker(5, 30.0)
        self.counted = counted
        self.sleep = sleep
        self._running = threading.BoundedSemaphore(pool)

    def call(self, spec: ActionSpec, inputs: Dict[str, str]) -> Lookup:
        started = time.monotonic()
        if not self.breaker.allows(spec.name):
            return self._done(spec, inputs, "circuit_open", started, error="the service failed repeatedly; resting")
        if not self._running.acquire(blocking=False):
            return self._done(spec, inputs, "busy", started, error="too many lookups at once")
        try:
            with away_from_turn():
                outcome, result, error = self._attempts(spec, inputs)
        finally:
            self._running.release()
        (self.breaker.succeeded if outcome in ("ok", "not_found") else self.breaker.failed)(spec.name)
        return self._done(spec, inputs, outcome, started, result, error)

    def _attempts(self, spec: ActionSpec, inputs: Dict[str, str]):
        """An action that changes something (a refund) is never sent twice: a lost answer is not a lost refund."""
        for attempt in range(1 if spec.changes else spec.retries + 1):
            if attempt:
                self.sleep(spec.backoff_seconds * 2 ** (attempt - 1))
            outcome, result, error = self._once(spec, inputs)
            if outcome in ("ok", "not_found") or not _retried(error):
                return outcome, result, error
        return outcome, result, error

    def _once(self, spec: ActionSpec, inputs: Dict[str, str]):
        request = self.request(spec, inputs)
        try:
            with urllib.request.urlopen(request, timeout=spec.timeout_seconds) as response:
                data = json.loads(response.read(MAX_RESPONSE_BYTES) or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return "not_found", {}, "HTTP 404"
            return "error", {}, f"HTTP {exc.code}"
        except (TimeoutError, OSError) as exc:
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            return ("timeout" if timed_out else "error"), {}, f"{type(exc).__name__}: {exc}"[:300]
        except ValueError as exc:
            return "error", {}, f"not a JSON answer: {exc}"[:300]
        if not isinstance(data, dict):
            return "error", {}, "the answer is not a JSON object"
        return "ok", {str(k): v for k, v in data.items() if isinstance(v, (str, int, float, bool)) or v is None}, ""

    def request(self, spec: ActionSpec, inputs: Dict[str, str]) -> urllib.request.Request:
        """The signed request for ``spec`` with ``inputs`` (each percent-encoded into the URL)."""
        url = spec.url
        for name in spec.inputs:
            url = url.replace("{" + name + "}", urllib.parse.quote(str(inputs.get(name, "")), safe=""))
        body = json.dumps(inputs, ensure_ascii=False).encode() if spec.method == "POST" else b""
        headers = dict(spec.headers, **{"Accept": "application/json"})
        if spec.method == "POST":
            headers["Content-Type"] = "application/json"
        if self.secret:
            timestamp = f"{time.time():.3f}"
            path = urllib.parse.urlsplit(url).path or "/"
            headers.update({"X-Faqbot-Timestamp": timestamp,
                            "X-Faqbot-Signature": sign(self.secret, timestamp, body, spec.method, path)})
        return urllib.request.Request(url, data=body if spec.method == "POST" else None, method=spec.method,
                                      headers=headers)

    def _done(self, spec: ActionSpec, inputs: Dict[str, str], outcome: str, started: float,
              result: Optional[dict] = None, error: str = "") -> Lookup:
        self.counted(spec.name, outcome)
        if outcome not in ("ok", "not_found"):
            log.warning("action %s %s: %s", spec.name, outcome, error)
        return Lookup(spec.name, dict(inputs), outcome, result or {}, error, time.monotonic() - started)


def _retried(error: str) -> bool:
    """Worth another attempt: the network or the service's own trouble (5xx), not a refusal (4xx)."""
    return not error.startswith("HTTP 4")
