"""Okapi BM25 over any token lists, as sparse matrices (no Python loops at query time).

Documents are kept twice: term counts (documents × terms), from which a retraining copies the rows
of unchanged documents, and the weighted inverted index (terms × documents), so that a query only
touches the postings of its own terms.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import scipy.sparse as sp

from knowledge_base.component import Component


class Bm25(Component):
    """Scores are divided by the query's total idf, so 1.0 means "every query term matched once"."""

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def fit(self, docs: Sequence[List[str]]) -> "Bm25":
        vocab: Dict[str, int] = {}
        return self.fit_counts(count_terms(docs, vocab), vocab)

    def fit_counts(self, counts: sp.csr_matrix, vocab: Dict[str, int]) -> "Bm25":
        """Fit from term counts (documents × terms) whose columns ``vocab`` names."""
        self.counts_ = counts.tocsr().astype(np.float32)
        self.vocab_ = vocab
        self._index()
        return self

    def _index(self) -> None:
        tf = self.counts_.tocoo()
        n_docs = self.counts_.shape[0]
        df = np.bincount(tf.col, minlength=self.counts_.shape[1]).astype(np.float32)
        n = max(1, n_docs)
        self.idf_ = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(self.counts_.sum(axis=1), np.float32).ravel()
        avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / avg)
        weight = self.idf_[tf.col] * tf.data * (self.k1 + 1) / (tf.data + norm[tf.row])
        self.postings_ = sp.csr_matrix((weight.astype(np.float32), (tf.col, tf.row)),
                                       shape=(self.counts_.shape[1], n_docs))

    @property
    def n_docs(self) -> int:
        return self.postings_.shape[1]

    def predict(self, queries: Sequence[List[str]]) -> np.ndarray:
        """Dense (queries × docs) scores of token lists."""
        self._require_fitted("postings_")
        return self._scores(self._query_matrix(queries))

    def _query_matrix(self, queries: Sequence[List[str]]) -> sp.csr_matrix:
        """One row per query: each known term weighted so that the row's idf mass sums to 1.

        Built row by row straight into CSR arrays: scipy's generic constructors cost ~0.5 ms a
        message here, a tenth of what answering it costs."""
        unknown_weight = np.float32(self.idf_.max() if self.idf_.size else 1.0)
        indptr, indices, data = [0], [], []
        for tokens in queries:
            known = sorted({self.vocab_[t] for t in tokens if t in self.vocab_})
            # Unknown terms still count in the denominator: a query of unseen words scores low.
            unknown = len({t for t in tokens if t not in self.vocab_})
            denom = self.idf_[known].sum(dtype=np.float32) + np.float32(unknown) * unknown_weight
            indices.extend(known)
            data.extend([np.float32(1.0) / denom if denom else np.float32(1.0)] * len(known))
            indptr.append(len(indices))
        return sp.csr_matrix((np.asarray(data, np.float32), np.asarray(indices, np.int32), np.asarray(indptr, np.int32)),
                             shape=(len(queries), self.postings_.shape[0]))

    def _scores(self, query_matrix: sp.csr_matrix) -> np.ndarray:
        """Dense (queries × docs) scores, summed from the postings of each query's own terms only."""
        q = query_matrix.tocsr()
        ptr, docs, weights = self.postings_.indptr, self.postings_.indices, self.postings_.data
        out = np.zeros((q.shape[0], self.n_docs), dtype=np.float32)
        for r in range(q.shape[0]):
            spans = [(ptr[t], ptr[t + 1], w) for t, w in zip(q.indices[q.indptr[r]:q.indptr[r + 1]],
                                                             q.data[q.indptr[r]:q.indptr[r + 1]]) if ptr[t + 1] > ptr[t]]
            if spans:
                out[r] = np.bincount(np.concatenate([docs[a:b] for a, b, _ in spans]),
                                     np.concatenate([weights[a:b] * w for a, b, w in spans]), minlength=self.n_docs)
        return out

    def save(self, folder: Path) -> None:
        self._require_fitted("postings_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.json").write_text(json.dumps(self.vocab_, ensure_ascii=False), encoding="utf-8")
        sp.save_npz(folder / "counts.npz", self.counts_, compressed=False)  # zlib: seconds at 100k
        sp.save_npz(folder / "postings.npz", self.postings_, compressed=False)
        np.savez(folder / "params.npz", idf=self.idf_, k1=self.k1, b=self.b)

    @classmethod
    def load(cls, folder: Path, counts: bool = False) -> "Bm25":
        """The index that queries need; ``counts`` also reads the term counts (to retrain from)."""
        params = np.load(folder / "params.npz")
        model = cls(float(params["k1"]), float(params["b"]))
        model.idf_ = params["idf"]
        model.vocab_ = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        model.postings_ = sp.load_npz(folder / "postings.npz").tocsr()
        if counts:
            model.counts_ = sp.load_npz(folder / "counts.npz").tocsr()
        return model


def count_terms(docs: Sequence[List[str]], vocab: Dict[str, int]) -> sp.csr_matrix:
    """(documents × terms) counts; tokens not yet in ``vocab`` are added to it."""
    ids = [vocab.setdefault(token, len(vocab)) for tokens in docs for token in tokens]
    rows = np.repeat(np.arange(len(docs)), [len(tokens) for tokens in docs])
    counts = sp.csr_matrix((np.ones(len(ids), np.float32), (rows, np.asarray(ids, np.int64))),
                           shape=(len(docs), max(1, len(vocab))))
    counts.sum_duplicates()
    return counts
