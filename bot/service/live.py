"""Keeps a running server on the live published version, switching without dropping a request.

A background thread looks at the store's live-version pointer every ``reload_seconds``. A new
version's bot is loaded beside the old one; then one reference assignment switches the service.
Requests already running finish on the bot they started with; a version that fails to load is
logged and the server keeps serving the one it has.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from typing import Callable, Optional

from training.publisher import Publisher

from bot.engine import Bot

log = logging.getLogger("faqbot.live")
VERSIONS_TOPIC = "kb:version"  # hub topic announcing a newly live version to every worker
RETRY_BROKEN_SECONDS = 60.0  # a version that failed to load (corrupt, half-copied) is tried again after this


def release_memory() -> None:
    """Give the replaced version's memory back: its model holds reference cycles that only a full
    collection frees (the serving process runs few), and glibc keeps freed memory unless trimmed.
    Without this a server grew ~280 MB with every publish (``python -m evals.publish_memory``)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process instead
        pass


class LiveVersion:
    def __init__(self, publisher: Publisher, switch: Callable[[Bot], None], interval: float,
                 current: Optional[int] = None):
        self.publisher = publisher
        self.switch = switch
        self.interval = interval
        self.current = current
        self.error: Optional[str] = None  # why the newest version is not served, if it is not
        self._failed = (None, 0.0)  # (version, when): a broken version is retried only now and then
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="faqbot-live-version", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def check(self) -> Optional[int]:
        """Switch to the live version now if it changed; returns the version served."""
        with self._lock:
            wanted = self.publisher.live()
            if wanted is None or wanted == self.current:
                return self.current
            if self._failed[0] == wanted and time.monotonic() - self._failed[1] < RETRY_BROKEN_SECONDS:
                return self.current
            try:
                bot = self.publisher.load(wanted)
            except Exception as exc:  # a corrupt or foreign artefact: keep serving what we have
                self.error = f"version {wanted} could not be loaded: {exc}"
                self._failed = (wanted, time.monotonic())
                log.error("%s; still serving version %s", self.error, self.current)
                return self.current
            self.switch(bot)
            log.info("switched from version %s to %s", self.current, wanted)
            self.current, self.error = wanted, None
            del bot
            release_memory()
            return wanted

    def wake(self, _event: Optional[dict] = None) -> None:
        """Look now (another worker announced a version), not at the next interval."""
        self._wake.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception:  # the database away for a moment: try again next time
                log.exception("could not check the live version")
