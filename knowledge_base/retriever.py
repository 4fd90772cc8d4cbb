"""Turns a message into per-entry scores from every retrieval channel.

An entry's score in a channel is its best example (standard or similar question); the dense
channel also scores the entry's centroid, which uses all its questions at once.

Below ``exact_below`` examples every entry is scored (``exhaustive``); above, every channel
shortlists its best examples and only their entries are scored (``shortlist``): a million questions
would otherwise cost a million scores per channel and message.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from knowledge_base.adapter import ContrastiveAdapter
from knowledge_base.component import Component
from knowledge_base.dense_index import DenseIndex
from knowledge_base.encoders import Encoder, normalise
from knowledge_base.entry_scores import MASKED, EntryScores, Exclusions
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter
from knowledge_base.text.homophones import HomophoneFixer
from knowledge_base.tuned_encoder import TunedEncoder

Mapping = Union[ContrastiveAdapter, TunedEncoder]  # dense.fine_tune: what the dense index's vectors go through

SCORES_AT_ONCE = 1 << 24  # (queries × examples) scores held at a time: 64 MB, whatever the KB's size


class Retriever(Component):
    """Scores messages against every entry, channel by channel, from the indexes it is given."""

    def __init__(self, normalizer: Normalizer, segmenter: Segmenter, sparse: Optional[SparseIndex],
                 dense: Optional[DenseIndex], encoder: Optional[Encoder], exact_below: int = 20000,
                 shortlist: int = 100, adapter: Optional[Mapping] = None):
        self.normalizer = normalizer
        self.segmenter = segmenter
        self.sparse = sparse
        self.dense = dense
        self.encoder = encoder
        self.exact_below = exact_below
        self.shortlist = shortlist
        self.adapter = adapter  # dense.fine_tune: maps the encoder's vectors; the index holds mapped ones
        self._fixer: Optional[HomophoneFixer] = None  # built from the index's words on first use

    # -- building -------------------------------------------------------------------------------
    def fit(self, example_texts: Sequence[str], owners: Sequence[int], embeddings: Optional[np.ndarray] = None,
            previous: Optional["Retriever"] = None, previous_texts: Sequence[str] = ()) -> "Retriever":
        """Index normalised example texts; ``owners[i]`` is the entry index of example i (contiguous).

        A ``previous`` retriever (loaded with its term counts) over ``previous_texts`` is reused where it
        can be: unchanged texts are not segmented again and its IVF centres are kept."""
        owners = np.asarray(owners, dtype=np.int64)
        self._fixer = None  # built again from the new index's words
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("examples must be grouped by entry (owners non-decreasing)")
        if self.sparse is not None:
            self.sparse.fit(example_texts, previous.sparse if previous else None, previous_texts)
        sums = None
        if self.dense is not None:
            self.dense.fit(embeddings, previous.dense if previous else None)
            sums = np.add.reduceat(np.asarray(embeddings, np.float32), _starts(owners), axis=0)
        self._index_entries(owners, sums)
        if self.dense is not None and not self.exhaustive_:
            self.centroid_index_ = DenseIndex(**self.dense.params()).fit(
                self.centroids_, previous.centroid_index_ if previous and not previous.exhaustive_ else None)
        return self

    def _index_entries(self, owners: np.ndarray, centroid_sums: Optional[np.ndarray]) -> "Retriever":
        self.owners_ = owners
        self.n_entries_ = int(owners.max()) + 1 if len(owners) else 0
        self.starts_ = _starts(owners)
        self.counts_ = np.bincount(owners, minlength=self.n_entries_).astype(np.int64)
        self.exhaustive_ = len(owners) < self.exact_below
        if centroid_sums is not None:
            self.centroid_sums_ = centroid_sums
            self.centroids_ = normalise(centroid_sums)
        return self

    @property
    def channel_names(self) -> List[str]:
        names = []
        if self.dense is not None:
            names += ["dense", "centroid"]
        if self.sparse is not None:
            names += self.sparse.channels
        return names

    def adapted(self, adapter: Mapping, mapped: np.ndarray) -> "Retriever":
        """A copy scoring dense with ``adapter``, whose map of the questions' vectors is ``mapped`` (the
        same sparse index)."""
        self._require_fitted("owners_")
        copy = Retriever(self.normalizer, self.segmenter, self.sparse, DenseIndex(**self.dense.params()),
                         self.encoder, self.exact_below, self.shortlist, adapter)
        copy.dense.fit(mapped, self.dense)
        copy._index_entries(self.owners_, np.add.reduceat(mapped, self.starts_, axis=0))
        if not copy.exhaustive_:
            copy.centroid_index_ = DenseIndex(**self.dense.params()).fit(copy.centroids_, self.centroid_index_)
        return copy

    # -- scoring --------------------------------------------------------------------------------
    def prepare(self, messages: Sequence[str]) -> List[str]:
        """Customers' messages normalised as the KB's questions were, homophone typos of the KB's words fixed."""
        texts, fixer = self.normalizer.predict(messages), self._homophones()
        return [fixer.fix(t) for t in texts] if fixer else texts

    def _homophones(self) -> Optional[HomophoneFixer]:
        """Built from the index's words on first use (nothing to save: the index holds them); none without
        the pinyin channel (``sparse.pinyin: false``: sound is not matched at all)."""
        if self.sparse is None or not self.sparse.pinyin:
            return None
        if self._fixer is None:
            words = self.sparse.models_["words"].vocab_
            self._fixer = HomophoneFixer([*words, *self.segmenter.words_], self.segmenter.knows,
                                         self.segmenter.pieces)
        return self._fixer

    def embed(self, texts: Sequence[str]) -> Optional[np.ndarray]:
        """Sentence vectors of normalised texts (None without a dense channel), mapped by the adapter."""
        return self.adapt(texts, self.encode(texts))

    def encode(self, texts: Sequence[str]) -> Optional[np.ndarray]:
        """The encoder's own vectors of normalised texts (None without a dense channel): what models
        trained on the encoder (emotion, requests for a person) read, with or without an adapter."""
        return None if self.dense is None else self.encoder.encode(texts)

    def adapt(self, texts: Sequence[str], vectors: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """The encoder's vectors of ``texts`` as the dense index holds them: through the adapter (a map
        or a fine-tuned encoder) when there is one."""
        return vectors if self.adapter is None or vectors is None else self.adapter.mapped(texts, vectors)

    def predict(self, texts: Sequence[str], embeddings: Optional[np.ndarray] = None,
                exclusions: Optional[Exclusions] = None) -> EntryScores:
        """Entry scores for normalised texts (embeddings computed if not given)."""
        from knowledge_base.exhaustive import score_every_entry
        from knowledge_base.shortlist import score_shortlisted

        self._require_fitted("owners_")
        if self.dense is not None and embeddings is None:
            embeddings = self.embed(texts)
        hidden = (exclusions or Exclusions()).complete(len(texts), self.n_entries_)
        return (score_every_entry if self.exhaustive_ else score_shortlisted)(self, texts, embeddings, hidden)

    def entry_maxima(self, texts: Sequence[str], embeddings: Optional[np.ndarray], hidden: np.ndarray,
                     dense: bool = True) -> Dict[str, np.ndarray]:
        """Per channel, (queries × entries): each entry's best example, from every example's score; the
        example ``hidden[i]`` (-1: none) scores MASKED for query i. BM25 only where ``dense`` is false."""
        step = max(1, SCORES_AT_ONCE // max(1, len(self.owners_)))
        parts: Dict[str, List[np.ndarray]] = {}
        for start in range(0, len(texts), step):
            rows = slice(start, start + step)
            scores = {"dense": self.dense.predict(embeddings[rows])} if dense and self.dense is not None else {}
            if self.sparse is not None:
                scores.update(self.sparse.predict(texts[rows]))
            masked = np.flatnonzero(hidden[rows] >= 0)
            for name, values in scores.items():
                values[masked, hidden[rows][masked]] = MASKED
                parts.setdefault(name, []).append(np.maximum.reduceat(values, self.starts_, axis=1))
        return {name: np.concatenate(values) for name, values in parts.items()}

    def mean_vector(self) -> np.ndarray:
        """The mean of every question's vector (without reading them: a million would be 1.5 GB)."""
        return self.centroid_sums_.sum(axis=0) / max(1, len(self.owners_))

    def centroid_without(self, embeddings: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        """Cosine of each query to the centroid of its hidden example's entry, computed without that example."""
        owners = self.owners_[hidden]
        rest = self.centroid_sums_[owners] - self.dense.vectors(hidden)
        norms = np.linalg.norm(rest, axis=1)
        alone = self.counts_[owners] < 2
        norms[alone | (norms == 0)] = 1.0
        values = (np.asarray(embeddings, np.float32) * rest).sum(axis=1) / norms
        return np.where(alone, MASKED, values).astype(np.float32)

    # -- persistence ----------------------------------------------------------------------------
    def dependencies(self) -> dict:
        """The parts it scores with: saved and loaded as components of their own."""
        parts = {"normalizer": self.normalizer, "segmenter": self.segmenter, "sparse_index": self.sparse,
                 "dense_index": self.dense, "encoder": self.encoder if self.dense is not None else None,
                 _mapping_name(self.adapter): self.adapter if self.dense is not None else None}
        return {name: part for name, part in parts.items() if part is not None}

    def save(self, folder: Path) -> None:
        self._require_fitted("owners_")
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "owners.npy", self.owners_)
        (folder / "retriever.json").write_text(json.dumps({
            "sparse": self.sparse is not None, "dense": self.dense is not None, "exact_below": self.exact_below,
            "shortlist": self.shortlist}))
        if self.dense is not None:
            np.save(folder / "centroid_sums.npy", self.centroid_sums_)
            if not self.exhaustive_:
                self.centroid_index_.save(folder / "centroids")

    @classmethod
    def load(cls, folder: Path, normalizer: Normalizer, segmenter: Segmenter,
             sparse_index: Optional[SparseIndex] = None, dense_index: Optional[DenseIndex] = None,
             encoder: Optional[Encoder] = None, adapter: Optional[ContrastiveAdapter] = None,
             tuned_encoder: Optional[TunedEncoder] = None) -> "Retriever":
        """A saved retriever scoring with the given (loaded) parts: the ones it was saved with."""
        flags = json.loads((folder / "retriever.json").read_text())
        if (flags["sparse"], flags["dense"]) != (sparse_index is not None, dense_index is not None):
            raise ValueError(f"{folder}: saved with sparse={flags['sparse']}, dense={flags['dense']} indexes; "
                             f"load it with exactly those")
        retriever = cls(normalizer, segmenter, sparse_index, dense_index, encoder, flags["exact_below"],
                        flags["shortlist"], adapter or tuned_encoder)
        sums = np.load(folder / "centroid_sums.npy") if dense_index is not None else None
        retriever._index_entries(np.load(folder / "owners.npy"), sums)
        if dense_index is not None and not retriever.exhaustive_:
            retriever.centroid_index_ = DenseIndex.load(folder / "centroids")
        return retriever


def _mapping_name(adapter: Optional[Mapping]) -> str:
    return "tuned_encoder" if isinstance(adapter, TunedEncoder) else "adapter"


def _starts(owners: np.ndarray) -> np.ndarray:
    n_entries = int(owners.max()) + 1 if len(owners) else 0
    return np.searchsorted(owners, np.arange(n_entries)).astype(np.int64)
