"""Locks held in the database, so that work no two processes may do at once (publishing a version)
is serialised across every worker and command sharing the store.

PostgreSQL: a session advisory lock on a connection of its own (released if the process dies).
SQLite: a lease row in ``kb_state``, renewed while held (a dead holder's lease runs out).
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import IntegrityError

from bot.store.schema import kb_state
from knowledge_base.errors import Conflict

POLL_SECONDS = 0.2
LEASE_SECONDS = 60  # a SQLite holder renews every third of it; a crashed one blocks others this long


class Busy(Conflict):
    """Someone else holds the lock for longer than the caller would wait."""

    code = "busy"


@contextmanager
def exclusive(store, name: str, wait_seconds: float, doing: str):
    """Hold the database lock ``name`` (at most 20 characters) for the block; wait up to
    ``wait_seconds`` for it, else raise ``Busy`` saying what is being done (``doing``)."""
    hold = _advisory if store.engine.dialect.name == "postgresql" else _lease
    with hold(store, name, time.monotonic() + wait_seconds, doing):
        yield


@contextmanager
def _advisory(store, name: str, deadline: float, doing: str):
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with store.engine.connect() as conn:
        while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            _wait_or_give_up(deadline, doing)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


@contextmanager
def _lease(store, name: str, deadline: float, doing: str):
    key, owner = f"lock:{name}", uuid.uuid4().hex
    while not _take_lease(store, key, owner):
        _wait_or_give_up(deadline, doing)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew_lease, args=(store, key, owner, stop), daemon=True, name=key)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        with store.transaction() as conn:
            conn.execute(delete(kb_state).where(kb_state.c.key == key, kb_state.c.value == owner))


def _take_lease(store, key: str, owner: str) -> bool:
    now = time.time()
    try:
        with store.transaction() as conn:
            conn.execute(delete(kb_state).where(kb_state.c.key == key, kb_state.c.updated < now))  # expired
            conn.execute(insert(kb_state).values(key=key, value=owner, updated=now + LEASE_SECONDS))
        return True
    except IntegrityError:
        return False


def _renew_lease(store, key: str, owner: str, stop: threading.Event) -> None:
    while not stop.wait(LEASE_SECONDS / 3):
        with store.transaction() as conn:
            conn.execute(update(kb_state).where(kb_state.c.key == key, kb_state.c.value == owner)
                         .values(updated=time.time() + LEASE_SECONDS))


def _wait_or_give_up(deadline: float, doing: str) -> None:
    if time.monotonic() >= deadline:
        raise Busy(f"{doing} is already in progress; try again when it is done")
    time.sleep(POLL_SECONDS)
