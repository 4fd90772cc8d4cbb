"""Scores of messages against entries, and what a message must not see: the retriever's output types."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional

import numpy as np

MASKED = -10.0  # score of an example that must not be seen (leave-one-out during training)


@dataclass
class EntryScores:
    """Per-channel (queries × columns) score arrays. Column j of query i is entry ``entries[i, j]``
    (every entry in order when ``entries`` is None); ``excluded`` columns must not be offered.

    At scale some scores are only upper bounds ("at most this"); ``resolve`` makes those of the given
    (queries × m) column positions exact, so the ones a ranker looks closer at are exact."""

    channels: Dict[str, np.ndarray]
    entries: Optional[np.ndarray] = None  # int (queries × columns)
    excluded: Optional[np.ndarray] = None  # bool (queries × columns)
    resolve: Optional[Callable[[np.ndarray], None]] = None

    @property
    def shape(self):
        return next(iter(self.channels.values())).shape

    def entry_ids(self, columns: np.ndarray) -> np.ndarray:
        """Entry indices of (queries × k) column positions."""
        return columns if self.entries is None else np.take_along_axis(self.entries, columns, axis=1)


@dataclass
class Exclusions:
    """What queries must not see: training hides one example or one whole entry per query (held-out
    questions), serving hides expired entries from every query."""

    example: Optional[np.ndarray] = None  # (queries,) example index, -1: none
    entry: Optional[np.ndarray] = None  # (queries,) entry index, -1: none
    entries: Optional[np.ndarray] = None  # (entries,) bool, for every query

    def complete(self, n_queries: int, n_entries: int) -> "Exclusions":
        none = np.full(n_queries, -1, dtype=np.int64)
        return Exclusions(none if self.example is None else np.asarray(self.example, np.int64),
                          none if self.entry is None else np.asarray(self.entry, np.int64),
                          np.zeros(n_entries, bool) if self.entries is None else np.asarray(self.entries, bool))
