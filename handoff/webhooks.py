"""Outbound webhooks (hand-off, message and rating events) and the signature inbound calls must carry.

Every event is written to the store's outbox in the same request that caused it, then a background
thread POSTs it; a help desk that is down gets it later (retries with back-off), so no event is lost
to a network blip. Each request carries ``X-Faqbot-Timestamp`` and
``X-Faqbot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.request
from typing import Optional

from sqlalchemy import insert, select, update

from bot.privacy import MaskingFilter
from bot.store import ConversationStore, _serialised, webhook_outbox

log = logging.getLogger("faqbot.webhooks")
log.addFilter(MaskingFilter())
MAX_ATTEMPTS = 8
MAX_SKEW_SECONDS = 300  # inbound calls older than this are refused (replays)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: Optional[float] = None) -> bool:
    try:
        fresh = abs((now or time.time()) - float(timestamp)) <= MAX_SKEW_SECONDS
    except (TypeError, ValueError):
        return False
    return bool(secret) and fresh and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


class WebhookSender:
    def __init__(self, store: ConversationStore, url: Optional[str], secret: str, interval: float = 1.0):
        self.store = store
        self.engine = store.engine
        self._lock = store._lock
        self.url = url
        self.secret = secret
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @_serialised
    def emit(self, event: str, payload: dict) -> None:
        if not self.enabled:
            return
        body = dict(payload, event=event, time=time.time())
        with self.engine.begin() as conn:
            conn.execute(insert(webhook_outbox).values(created=time.time(), event=event, attempts=0,
                                                       payload=json.dumps(body, ensure_ascii=False)))
        self._wake.set()

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="faqbot-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def deliver_pending(self) -> int:
        """POST every event that is due; returns how many were delivered."""
        delivered = 0
        for row in self._due():
            error = self._post(row.event, row.payload.encode())
            self._record(row.id, error)
            delivered += error is None
        return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            self.deliver_pending()
            self._wake.wait(self.interval)
            self._wake.clear()

    @_serialised
    def _due(self):
        now = time.time()
        query = select(webhook_outbox).where(webhook_outbox.c.delivered.is_(None),
                                             webhook_outbox.c.attempts < MAX_ATTEMPTS).order_by(webhook_outbox.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(100)).all()
        # back-off: the n-th retry waits 2^n seconds after the event was created
        return [r for r in rows if r.attempts == 0 or now - r.created >= 2 ** r.attempts]

    def _post(self, event: str, body: bytes) -> Optional[str]:
        timestamp = str(int(time.time()))
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Faqbot-Event": event, "X-Faqbot-Timestamp": timestamp,
            "X-Faqbot-Signature": sign(self.secret, timestamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except Exception as exc:  # any failure is retried; the reason is kept on the row
            log.warning("webhook %s failed: %s", event, exc)
            return str(exc)[:500]

    @_serialised
    def _record(self, row_id: int, error: Optional[str]) -> None:
        values = dict(attempts=webhook_outbox.c.attempts + 1, last_error=error)
        if error is None:
            values["delivered"] = time.time()
        with self.engine.begin() as conn:
            conn.execute(update(webhook_outbox).where(webhook_outbox.c.id == row_id).values(**values))
