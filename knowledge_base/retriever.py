"""Turns a message into per-entry scores from every retrieval channel.

An entry's score in a channel is its best example (standard or similar question); the dense
channel also scores the entry's centroid, which uses all its questions at once.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .dense_index import DenseIndex
from .encoders import Encoder, normalise
from .sparse_index import SparseIndex
from .text import Normalizer, Segmenter

RECENT_VECTORS = 4096  # recent messages' vectors: for the emotion scorer, and customers repeat themselves ("快递", "退款")
MASKED = -10.0  # score of an example that must not be seen (leave-one-out during training)


@dataclass
class EntryScores:
    """Per-channel (queries × entries) score arrays plus entries that must not be offered."""

    channels: Dict[str, np.ndarray]
    excluded: Optional[np.ndarray] = None  # bool (queries × entries)

    @property
    def shape(self):
        return next(iter(self.channels.values())).shape


class Retriever:
    def __init__(self, normalizer: Normalizer, segmenter: Segmenter, sparse: Optional[SparseIndex],
                 dense: Optional[DenseIndex], encoder: Optional[Encoder]):
        self.normalizer = normalizer
        self.segmenter = segmenter
        self.sparse = sparse
        self.dense = dense
        self.encoder = encoder
        self._recent: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._recent_lock = threading.Lock()

    # -- building -------------------------------------------------------------------------------
    def fit(self, example_texts: Sequence[str], owners: Sequence[int],
            embeddings: Optional[np.ndarray] = None) -> "Retriever":
        """Index normalised example texts; ``owners[i]`` is the entry index of example i (contiguous)."""
        owners = np.asarray(owners, dtype=np.int64)
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("examples must be grouped by entry (owners non-decreasing)")
        if self.sparse is not None:
            self.sparse.fit(example_texts)
        if self.dense is not None:
            self.dense.fit(embeddings)
        return self._index_entries(owners)

    def _index_entries(self, owners: np.ndarray) -> "Retriever":
        self.owners_ = owners
        self.n_entries_ = int(owners.max()) + 1 if len(owners) else 0
        self.starts_ = np.searchsorted(owners, np.arange(self.n_entries_)).astype(np.int64)
        self.counts_ = np.bincount(owners, minlength=self.n_entries_).astype(np.int64)
        if self.dense is not None:
            self.centroid_sums_ = np.add.reduceat(self.dense.embeddings_, self.starts_, axis=0)
            self.centroids_ = normalise(self.centroid_sums_)
        return self

    @property
    def channel_names(self) -> List[str]:
        names = []
        if self.dense is not None:
            names += ["dense", "centroid"]
        if self.sparse is not None:
            names += self.sparse.channels
        return names

    # -- scoring --------------------------------------------------------------------------------
    def prepare(self, messages: Sequence[str]) -> List[str]:
        return [self.normalizer.normalize(m) for m in messages]

    def embed(self, texts: Sequence[str]) -> Optional[np.ndarray]:
        """Sentence vectors; a single message's is remembered, so the emotion scorer reuses it."""
        if self.dense is None:
            return None
        if len(texts) != 1:
            return self.encoder.encode(texts)
        with self._recent_lock:
            vector = self._recent.get(texts[0])
        if vector is None:
            vector = self.encoder.encode(texts)[0]
            with self._recent_lock:
                self._recent[texts[0]] = vector
                while len(self._recent) > RECENT_VECTORS:
                    self._recent.popitem(last=False)
        return vector[None, :]

    def message_vector(self, message: str) -> Optional[np.ndarray]:
        """The vector the dense channel used (or would use) for this raw message."""
        embedded = self.embed(self.prepare([message]))
        return None if embedded is None else embedded[0]

    def score(self, texts: Sequence[str], embeddings: Optional[np.ndarray] = None) -> EntryScores:
        """Entry scores for normalised texts (embeddings computed if not given)."""
        if self.dense is not None and embeddings is None:
            embeddings = self.embed(texts)
        return self.score_examples(self.example_scores(texts, embeddings), embeddings)

    def example_scores(self, texts: Sequence[str], embeddings: Optional[np.ndarray]) -> Dict[str, np.ndarray]:
        scores: Dict[str, np.ndarray] = {}
        if self.dense is not None:
            scores["dense"] = self.dense.scores(embeddings)
        if self.sparse is not None:
            scores.update(self.sparse.scores(texts))
        return scores

    def score_examples(self, example_scores: Dict[str, np.ndarray], embeddings: Optional[np.ndarray],
                       example_mask: Optional[np.ndarray] = None) -> EntryScores:
        """Aggregate example scores to entries (max); ``example_mask`` hides examples (True = hidden)."""
        channels: Dict[str, np.ndarray] = {}
        for name, values in example_scores.items():
            if example_mask is not None:
                values = np.where(example_mask, MASKED, values)
            channels[name] = np.maximum.reduceat(values, self.starts_, axis=1)
        if self.dense is not None:
            channels["centroid"] = np.asarray(embeddings, np.float32) @ self.centroids_.T
        ordered = {name: channels[name] for name in self.channel_names}
        return EntryScores(ordered)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "owners.npy", self.owners_)
        (folder / "retriever.json").write_text(json.dumps({
            "sparse": self.sparse is not None, "dense": self.dense is not None}))
        self.segmenter.save(folder / "segmenter")
        if self.sparse is not None:
            self.sparse.save(folder / "sparse")
        if self.dense is not None:
            self.dense.save(folder / "dense")

    @classmethod
    def load(cls, folder: Path, normalizer: Normalizer, encoder: Optional[Encoder]) -> "Retriever":
        flags = json.loads((folder / "retriever.json").read_text())
        segmenter = Segmenter.load(folder / "segmenter")
        sparse = SparseIndex.load(folder / "sparse", segmenter) if flags["sparse"] else None
        dense = DenseIndex.load(folder / "dense") if flags["dense"] else None
        retriever = cls(normalizer, segmenter, sparse, dense, encoder if flags["dense"] else None)
        return retriever._index_entries(np.load(folder / "owners.npy"))

