"""Signed help-desk calls are accepted once: a replay within the signature's freshness window is refused.

A signature covers the timestamp, method, path and body, and is fresh for MAX_SKEW_SECONDS; inside
that window an eavesdropper (a proxy's log, a leaked request) could send the same call again — the
same message would reach the customer twice, a closed conversation would be closed again. Each
accepted signature is kept (in the database, so every worker knows it) until its timestamp is no
longer fresh; a second call carrying it is a replay. A help desk sending the same text twice on
purpose sends it with another timestamp (fractions of a second count).
"""
from __future__ import annotations

import time

from sqlalchemy import delete

from bot.store import ConversationStore, insert_if_new, serialised, signed_calls
from handoff.webhooks import MAX_SKEW_SECONDS


class SignedCalls:
    def __init__(self, store: ConversationStore, clock=time.time):
        self.engine = store.engine
        self._lock = store._lock
        self.clock = clock

    @serialised
    def first_time(self, signature: str, timestamp: str) -> bool:
        """Record a verified call's signature; False when it was received before (a replay)."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(delete(signed_calls).where(signed_calls.c.expires < now))
            return insert_if_new(conn, signed_calls, signature=signature[:80],
                                 expires=max(float(timestamp), now) + MAX_SKEW_SECONDS)
