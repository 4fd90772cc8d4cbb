"""How contrastive training on a KB's questions draws its pairs: the entries are the classes.

An anchor is a question whose entry has another question; its positive is another question of that
entry; batches are drawn from a shuffled list of anchors. Shared by the adapter and the tuned encoder.
"""
from __future__ import annotations

import numpy as np


def anchors_of(owners: np.ndarray) -> np.ndarray:
    """Questions whose entry has another question to be their positive."""
    counts = np.bincount(owners) if len(owners) else np.zeros(0, np.int64)
    return np.flatnonzero(counts[owners] >= 2) if len(owners) else np.zeros(0, np.int64)


def positives_of(anchors: np.ndarray, owners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each anchor, another question of its entry, drawn at random."""
    order = np.argsort(owners, kind="stable")
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    starts = np.searchsorted(owners[order], owners[anchors])
    counts = np.bincount(owners)[owners[anchors]]
    offsets = rng.integers(0, counts - 1)
    offsets += offsets >= place[anchors] - starts  # skip the anchor itself
    return order[starts + offsets].astype(np.int64)


def batches_of(items: np.ndarray, size: int):
    """Consecutive batches of ``size``; a last batch of one (no negative to learn from) is dropped."""
    for start in range(0, len(items), size):
        batch = items[start:start + size]
        if len(batch) >= 2:
            yield batch
