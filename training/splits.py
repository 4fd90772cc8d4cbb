"""The fixed tuning / held-out split of labelled sets: a hash of the item's id, so the split never
changes when items are added, reordered or relabelled, and no one can pick it."""
from __future__ import annotations

import hashlib

TUNING = "tuning"
HELD_OUT = "held_out"


def split_of(item_id: str) -> str:
    """``held_out`` for about a third of ids (``sha256(id) mod 3 == 0``), else ``tuning``."""
    digest = hashlib.sha256(item_id.encode("utf-8")).hexdigest()
    return HELD_OUT if int(digest, 16) % 3 == 0 else TUNING
