"""Slowing down password guessing without locking the real agent out.

A hard lock of an account after N failures is a denial of service: anyone who knows a username can
keep its owner out from anywhere. Failures are counted per account *and* address instead, and each
failure beyond a few free ones makes that pair wait twice as long (2 s, 4 s, … up to 15 minutes).
Guessing spread over many addresses is caught by the account's own count, which slows down only
addresses the account has never signed in from: the agent at their usual desk still gets in.

Counts live in the database (keys are hashes, no raw address is stored), so every worker agrees.
"""
from __future__ import annotations

import hashlib
import time
from typing import Optional

from sqlalchemy import select, update

from bot.store import ConversationStore, insert_if_new, serialised, sign_in_attempts

FREE_FAILURES = 5  # per account and address: typos are free
ACCOUNT_FREE_FAILURES = 20  # per account from every address: beyond this, unknown addresses wait
MAX_WAIT_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 3600  # a count whose last failure is this old starts again


class SignInGuard:
    def __init__(self, store: ConversationStore, clock=time.time):
        self.engine = store.engine
        self._lock = store._lock
        self.clock = clock

    @serialised
    def wait_seconds(self, username: str, address: str) -> float:
        """How long this address must wait before trying ``username`` again (0: go ahead)."""
        now = self.clock()
        with self.engine.connect() as conn:
            pair = self._row(conn, _key(username, address))
            account = self._row(conn, _key(username))
        waits = [pair.blocked_until - now] if pair else []
        if account and not (pair and pair.known):
            waits.append(account.blocked_until - now)
        return max([0.0, *waits])

    @serialised
    def failed(self, username: str, address: str) -> None:
        """A wrong password: the pair's and the account's counts go up, and so do their waits."""
        with self.engine.begin() as conn:
            self._count(conn, _key(username, address), FREE_FAILURES)
            self._count(conn, _key(username), ACCOUNT_FREE_FAILURES)

    @serialised
    def succeeded(self, username: str, address: str) -> None:
        """The pair starts again, and the address is known to the account from now on."""
        key, now = _key(username, address), self.clock()
        with self.engine.begin() as conn:
            if self._row(conn, key) is None:
                _insert(conn, key, now, known=1)
            conn.execute(update(sign_in_attempts).where(sign_in_attempts.c.key == key)
                         .values(failures=0, blocked_until=0.0, known=1, updated=now))

    def _count(self, conn, key: str, free: int) -> None:
        now = self.clock()
        row = self._row(conn, key)
        if row is None:
            _insert(conn, key, now)
            failures = 1
        else:
            failures = 1 if now - row.updated > FORGET_AFTER_SECONDS else row.failures + 1
        wait = 0.0 if failures <= free else min(2.0 ** (failures - free), MAX_WAIT_SECONDS)
        conn.execute(update(sign_in_attempts).where(sign_in_attempts.c.key == key)
                     .values(failures=failures, blocked_until=now + wait, updated=now))

    @staticmethod
    def _row(conn, key: str):
        return conn.execute(select(sign_in_attempts).where(sign_in_attempts.c.key == key)).first()


def _insert(conn, key: str, now: float, known: int = 0) -> None:
    """A new row (a concurrent worker may have made it a moment ago: then theirs is used)."""
    insert_if_new(conn, sign_in_attempts, key=key, failures=0, blocked_until=0.0, known=known, updated=now)


def _key(username: str, address: Optional[str] = None) -> str:
    """A hash standing for the account (and address): the table never holds an address."""
    return hashlib.sha256(f"{username}\0{address if address is not None else '*'}".encode()).hexdigest()
