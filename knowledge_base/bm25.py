"""Okapi BM25 over any token lists, as sparse matrices (no Python loops at query time)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import scipy.sparse as sp


class Bm25:
    """Scores are divided by the query's total idf, so 1.0 means "every query term matched once"."""

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def fit(self, docs: Sequence[List[str]]) -> "Bm25":
        vocab: Dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for d, tokens in enumerate(docs):
            lengths[d] = len(tokens)
            counts: Dict[int, int] = {}
            for token in tokens:
                j = vocab.setdefault(token, len(vocab))
                counts[j] = counts.get(j, 0) + 1
            rows.extend([d] * len(counts))
            cols.extend(counts.keys())
            vals.extend(counts.values())
        tf = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(docs), max(1, len(vocab))))
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        n = max(1, len(docs))
        self.idf_ = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if len(docs) and lengths.mean() > 0 else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / avg)
        tf = tf.tocoo()
        weight = self.idf_[tf.col] * tf.data * (self.k1 + 1) / (tf.data + norm[tf.row])
        self.doc_matrix_ = sp.csr_matrix((weight.astype(np.float32), (tf.row, tf.col)), shape=tf.shape)
        self.vocab_ = vocab
        return self

    def query_matrix(self, queries: Sequence[List[str]]) -> sp.csr_matrix:
        """One row per query: each known term weighted so that the row's idf mass sums to 1."""
        rows, cols = [], []
        for q, tokens in enumerate(queries):
            ids = {self.vocab_[t] for t in tokens if t in self.vocab_}
            rows.extend([q] * len(ids))
            cols.extend(ids)
        data = np.ones(len(rows), dtype=np.float32)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(queries), self.doc_matrix_.shape[1]))
        total = np.asarray(m @ self.idf_).ravel()
        # Unknown terms still count in the denominator: a query of unseen words scores low.
        unknown = np.array([sum(1 for t in set(tokens) if t not in self.vocab_) for tokens in queries], np.float32)
        denom = total + unknown * float(self.idf_.max() if self.idf_.size else 1.0)
        denom[denom == 0] = 1.0
        return sp.diags(1.0 / denom) @ m

    def scores(self, query_matrix: sp.csr_matrix) -> np.ndarray:
        """Dense (queries × docs) score array."""
        return np.asarray((query_matrix @ self.doc_matrix_.T).todense(), dtype=np.float32)

    def save(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.vocab.json").write_text(json.dumps(self.vocab_, ensure_ascii=False), encoding="utf-8")
        sp.save_npz(folder / f"{name}.docs.npz", self.doc_matrix_)
        np.savez(folder / f"{name}.params.npz", idf=self.idf_, k1=self.k1, b=self.b)

    @classmethod
    def load(cls, folder: Path, name: str) -> "Bm25":
        params = np.load(folder / f"{name}.params.npz")
        model = cls(float(params["k1"]), float(params["b"]))
        model.idf_ = params["idf"]
        model.vocab_ = json.loads((folder / f"{name}.vocab.json").read_text(encoding="utf-8"))
        model.doc_matrix_ = sp.load_npz(folder / f"{name}.docs.npz").tocsr()
        return model
