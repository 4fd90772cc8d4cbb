"""Pushes events to open WebSockets: agent messages to a customer, queue changes to agents.

Publishers run in request threads; each subscriber is an asyncio queue drained by its socket's
task on the event loop. With a ``relay`` (Redis), events go through it and reach the sockets of
every worker process; without one, or while Redis is away, the sockets of this process.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Callable, Dict, List, Set


class EventHub:
    def __init__(self):
        self._subscribers: Dict[str, Set[asyncio.Queue]] = {}
        self._loop: asyncio.AbstractEventLoop = None
        self._lock = threading.Lock()
        self._callbacks: Dict[str, List[Callable[[dict], None]]] = {}
        self.relay = None  # bot.service.relay.RedisRelay in a multi-worker deployment

    def subscribe(self, topic: str) -> asyncio.Queue:
        """Call on the event loop; returns the queue the socket task reads events from."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._subscribers.setdefault(topic, set()).add(queue)
        return queue

    def unsubscribe(self, topic: str, queue: asyncio.Queue) -> None:
        with self._lock:
            subscribers = self._subscribers.get(topic, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(topic, None)

    def on(self, topic: str, callback: Callable[[dict], None]) -> None:
        """Call ``callback(event)`` (quickly; from a publishing or relay thread) for every event of ``topic``."""
        with self._lock:
            self._callbacks.setdefault(topic, []).append(callback)

    def publish(self, topic: str, event: dict) -> None:
        """From any thread: to every worker through the relay, else to this worker's sockets."""
        if self.relay is None or not self.relay.publish(topic, event):
            self.deliver(topic, event)

    def deliver(self, topic: str, event: dict) -> None:
        """To this process's subscribers. One too slow to keep 1000 events loses the oldest; what was
        said is in the store and the page reloads it."""
        with self._lock:
            queues = list(self._subscribers.get(topic, ()))
            callbacks = list(self._callbacks.get(topic, ()))
            loop = self._loop
        for queue in queues:
            loop.call_soon_threadsafe(_put, queue, event)
        for callback in callbacks:
            callback(event)

    def listeners(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))


def _put(queue: asyncio.Queue, event: dict) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(event)
