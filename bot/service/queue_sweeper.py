"""A background thread that keeps the queue honest: nobody waits forever (queue timeout → an invitation to
leave a message). Every worker may run one; the store's conditional UPDATE lets one worker act per customer."""
from __future__ import annotations

import logging
import threading
from typing import Optional

log = logging.getLogger("faqbot.queue")


class QueueSweeper:
    def __init__(self, conversations, interval: float = 15.0):
        self.conversations = conversations  # bot.service.conversations.Conversations
        self.interval = interval
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None and self.conversations.desk is not None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="faqbot-queue", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.conversations.time_out_queue()
            except Exception:  # a database hiccup must not end the sweeping for good
                log.exception("queue timeout sweep failed; retrying")
