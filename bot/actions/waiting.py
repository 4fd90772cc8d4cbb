"""A message waiting on a lookup gives its answering slot to the next customer meanwhile.

The server answers a few messages at once (bot/http/answering.py); a lookup that takes seconds must
not hold one of those slots, or one slow order service would delay every customer's reply. The
answering pool marks its threads with the slot they hold; ``away_from_turn`` lends it out while the
call waits on the network, and takes it back (in turn) before the reply is worded.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Tuple

_local = threading.local()


@contextmanager
def holding(slots: threading.Semaphore) -> Iterator[None]:
    """Run the body in one of ``slots`` (an answering turn) that a lookup inside may lend out."""
    slots.acquire()
    _local.slot = (slots.release, slots.acquire)
    try:
        yield
    finally:
        _local.slot = None
        slots.release()


@contextmanager
def away_from_turn() -> Iterator[None]:
    """While the body waits (on another system), the thread's answering slot serves other customers."""
    slot: Optional[Tuple[Callable, Callable]] = getattr(_local, "slot", None)
    if slot is None:
        yield
        return
    release, take_back = slot
    release()
    try:
        yield
    finally:
        take_back()
