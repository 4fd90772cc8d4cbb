"""Outbound webhooks (hand-off, message and rating events) and the signature inbound calls must carry.

Every event is written to the store's outbox in the same request that caused it, then a background
thread POSTs it; a help desk that is down gets it later (retries with back-off for about a day), so
no event is lost to a network blip. Each worker claims a row before sending it: one delivery per
event however many workers run. Each request carries ``X-Faqbot-Timestamp`` and
``X-Faqbot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<METHOD>.<path>.<body>">`` — the
method and path are signed too, so a signature for one call cannot be replayed against another.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.parse
import urllib.request
from typing import Optional

from sqlalchemy import insert, select, update

from bot.privacy import MaskingFilter
from bot.store import ConversationStore, serialised, webhook_outbox

log = logging.getLogger("faqbot.webhooks")
log.addFilter(MaskingFilter())
MAX_ATTEMPTS = 20  # with the back-off below: retried for about a day
MAX_BACKOFF_SECONDS = 2 * 3600
CLAIM_SECONDS = 60  # a worker that claimed a row and died releases it after this
MAX_SKEW_SECONDS = 300  # inbound calls older than this are refused (replays)


def sign(secret: str, timestamp: str, body: bytes, method: str = "POST", path: str = "/") -> str:
    signed = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, method: str, path: str,
           now: Optional[float] = None) -> bool:
    try:
        fresh = abs((now or time.time()) - float(timestamp)) <= MAX_SKEW_SECONDS
    except (TypeError, ValueError):
        return False
    expected = sign(secret, timestamp, body, method, path)
    return bool(secret) and fresh and hmac.compare_digest(expected, signature or "")


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

    @serialised
    def emit(self, event: str, payload: dict) -> None:
        if not self.enabled:
            return
        now = time.time()
        body = dict(payload, event=event, time=now)
        with self.engine.begin() as conn:
            conn.execute(insert(webhook_outbox).values(created=now, event=event, attempts=0, next_attempt=now,
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
            if not self._claim(row.id):
                continue  # another worker is sending it
            error = self._post(row.event, row.payload.encode())
            self._record(row, error)
            delivered += error is None
        return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_pending()
            except Exception:  # a database hiccup must not stop deliveries for good
                log.exception("webhook delivery round failed; retrying")
            self._wake.wait(self.interval)
            self._wake.clear()

    @serialised
    def _due(self):
        query = select(webhook_outbox).where(webhook_outbox.c.delivered.is_(None),
                                             webhook_outbox.c.attempts < MAX_ATTEMPTS,
                                             webhook_outbox.c.next_attempt <= time.time()).order_by(webhook_outbox.c.id)
        with self.engine.connect() as conn:
            return conn.execute(query.limit(100)).all()

    @serialised
    def _claim(self, row_id: int) -> bool:
        now = time.time()
        free = (webhook_outbox.c.claimed_until.is_(None)) | (webhook_outbox.c.claimed_until < now)
        with self.engine.begin() as conn:
            return conn.execute(update(webhook_outbox).where(webhook_outbox.c.id == row_id,
                                                             webhook_outbox.c.delivered.is_(None), free)
                                .values(claimed_until=now + CLAIM_SECONDS)).rowcount == 1

    def _post(self, event: str, body: bytes) -> Optional[str]:
        timestamp = str(int(time.time()))
        path = urllib.parse.urlsplit(self.url).path or "/"
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Faqbot-Event": event, "X-Faqbot-Timestamp": timestamp,
            "X-Faqbot-Signature": sign(self.secret, timestamp, body, "POST", path)})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except Exception as exc:  # any failure is retried; the reason is kept on the row
            log.warning("webhook %s failed: %s", event, exc)
            return str(exc)[:500]

    @serialised
    def _record(self, row, error: Optional[str]) -> None:
        now = time.time()
        values = dict(attempts=row.attempts + 1, last_error=error, claimed_until=None,
                      next_attempt=now + min(5 * 2 ** row.attempts, MAX_BACKOFF_SECONDS))
        if error is None:
            values["delivered"] = now
        elif row.attempts + 1 >= MAX_ATTEMPTS:
            log.error("webhook %s (outbox row %s) given up after %s attempts: %s", row.event, row.id,
                      MAX_ATTEMPTS, error)
        with self.engine.begin() as conn:
            conn.execute(update(webhook_outbox).where(webhook_outbox.c.id == row.id).values(**values))
