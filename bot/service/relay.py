"""Redis between worker processes: hub events (an agent on worker A, the customer's WebSocket on
worker B) and shared rate-limit counters.

Redis is a convenience, never a dependency for correctness: every message is in the database
first. With Redis away, a worker delivers its own events locally, counts rate limits locally, and
reconnects by itself.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable, Optional

log = logging.getLogger("faqbot.relay")
PREFIX = "faqbot:"
RECONNECT_SECONDS = (0.2, 0.5, 1, 2, 5)


class RedisRelay:
    """Publishes hub events to Redis and hands every event published by any worker to ``deliver``."""

    def __init__(self, url: str, deliver: Callable[[str, dict], None], prefix: str = PREFIX):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.deliver = deliver
        self.prefix = prefix
        self.listening = threading.Event()  # subscribed now: our own events come back through Redis
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen_forever, name="faqbot-relay", daemon=True)
        self._thread.start()
        self.listening.wait(timeout=2)

    def stop(self) -> None:
        self._stop.set()
        self.listening.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def publish(self, topic: str, event: dict) -> bool:
        """True when Redis took it (every worker, this one included, will deliver it)."""
        if not self.listening.is_set():
            return False
        try:
            self.client.publish(self.prefix + topic, json.dumps(event, ensure_ascii=False))
            return True
        except Exception as exc:  # Redis away: the caller delivers locally
            log.warning("redis publish failed (%s); delivering on this worker only", exc.__class__.__name__)
            return False

    def _listen_forever(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                self._listen()
                attempt = 0
            except Exception as exc:
                self.listening.clear()
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                if attempt == 0:
                    log.warning("redis subscription lost (%s); retrying", exc.__class__.__name__)
                attempt += 1
                self._stop.wait(delay)

    def _listen(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.psubscribe(self.prefix + "*")
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                self.listening.set()  # only once Redis answered: the subscription is live
                if message and message["type"] == "pmessage":
                    topic = message["channel"].decode()[len(self.prefix):]
                    self.deliver(topic, json.loads(message["data"]))
        finally:
            self.listening.clear()
            pubsub.close()


class SharedRateLimiter:
    """A per-minute limit counted in Redis, so N workers enforce one budget; a sliding window
    estimated from this minute's and last minute's counters. Falls back to ``local`` without Redis."""

    def __init__(self, client, name: str, per_minute: int, local, clock: Callable[[], float] = time.time,
                 prefix: str = PREFIX):
        self.client = client
        self.prefix = prefix
        self.name = name
        self.per_minute = per_minute
        self.local = local
        self.clock = clock

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self.clock()
        window = int(now // 60)
        current, previous = (f"{self.prefix}rl:{self.name}:{key}:{w}" for w in (window, window - 1))
        try:
            pipe = self.client.pipeline()
            pipe.incr(current)
            pipe.expire(current, 120)
            pipe.get(previous)
            count, _, before = pipe.execute()
        except Exception:
            return self.local.allow(key)
        weight = 1 - (now % 60) / 60
        allowed = int(count) - 1 + int(before or 0) * weight < self.per_minute
        if not allowed:
            try:
                self.client.decr(current)  # a refused request does not use up budget
            except Exception:
                pass
        return allowed
