"""How many customer messages a server process answers at once.

Answering is mostly Python (retrieval scoring, the store, the transfer rules) under the global
interpreter lock; only the sentence encoder runs beside it. With a thread per waiting message
(anyio's default pool holds 40), every message in the process interleaves with every other: each
takes longer, and a burst makes all of them late instead of the last few. A small pool answers in
arrival order and keeps one message's encoder overlapping another's Python. Measured with
`evals/load_test.py --workers 2` at 150 messages/s: p99 5.4–7.3 s with 40 threads, 179 ms with 2.
Other requests (agents, trainers, reads) keep the default pool and never wait behind customers.

A message waiting on a lookup in the business's own systems lends its turn to the next message
(bot/actions/waiting.py): ``threads`` messages are answered at once, and up to ``waiting`` more
threads may sit on a slow order service without delaying anyone else's reply.
"""
from __future__ import annotations

import threading
from functools import partial
from typing import Callable, Optional, TypeVar

import anyio
import anyio.to_thread

from bot.actions.waiting import holding

T = TypeVar("T")


class AnsweringPool:
    def __init__(self, threads: int, waiting: int = 0):
        if threads < 1:
            raise ValueError("server.answering_threads must be at least 1")
        self.threads = threads
        self.waiting = waiting  # threads that may wait on lookups beside the answering ones
        self._turns = threading.Semaphore(threads)
        self._limiter: Optional[anyio.CapacityLimiter] = None  # made in the event loop, on first use

    async def run(self, function: Callable[..., T], *args) -> T:
        """``function(*args)`` in one of the pool's threads, once it is this message's turn."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads + self.waiting)
        return await anyio.to_thread.run_sync(partial(self._in_turn, function, *args), limiter=self._limiter)

    def _in_turn(self, function: Callable[..., T], *args) -> T:
        with holding(self._turns):
            return function(*args)
