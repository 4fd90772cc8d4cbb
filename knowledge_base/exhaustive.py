"""Every entry scored for every query: exact, and cheap while a KB has fewer than ``exact_below`` questions."""
from __future__ import annotations

from typing import Optional, Sequence, TYPE_CHECKING

import numpy as np

from knowledge_base.entry_scores import EntryScores, Exclusions

if TYPE_CHECKING:  # the retriever calls these with itself
    from knowledge_base.retriever import Retriever


def score_every_entry(retriever: Retriever, texts: Sequence[str], embeddings: Optional[np.ndarray],
                      hidden: Exclusions) -> EntryScores:
    """(queries × entries) scores: each channel's full (queries × examples) array reduced to entries (max)."""
    channels = retriever.entry_maxima(list(texts), embeddings, hidden.example)
    if retriever.dense is not None:
        centroid = np.asarray(embeddings, np.float32) @ retriever.centroids_.T
        rows = np.flatnonzero(hidden.example >= 0)
        owners = retriever.owners_[hidden.example[rows]]
        centroid[rows, owners] = retriever.centroid_without(np.asarray(embeddings)[rows], hidden.example[rows])
        channels["centroid"] = centroid
    excluded = np.repeat(hidden.entries[None, :], len(texts), axis=0)
    gone = np.flatnonzero(hidden.entry >= 0)
    excluded[gone, hidden.entry[gone]] = True
    return EntryScores({name: channels[name] for name in retriever.channel_names}, None, excluded)
