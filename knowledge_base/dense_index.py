"""Dense retrieval: normalised sentence embeddings in a faiss inner-product index."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class DenseIndex:
    def __init__(self):
        self.embeddings_ = np.zeros((0, 0), np.float32)

    def fit(self, embeddings: np.ndarray) -> "DenseIndex":
        import faiss

        self.embeddings_ = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.index_ = faiss.IndexFlatIP(self.embeddings_.shape[1])
        self.index_.add(self.embeddings_)
        return self

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """Exact cosine of every query to every example (queries × examples)."""
        return np.asarray(queries, np.float32) @ self.embeddings_.T

    def save(self, folder: Path) -> None:
        import faiss

        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index_, str(folder / "index.faiss"))

    @classmethod
    def load(cls, folder: Path) -> "DenseIndex":
        import faiss

        index = cls()
        index.index_ = faiss.read_index(str(folder / "index.faiss"))
        index.embeddings_ = index.index_.reconstruct_n(0, index.index_.ntotal)
        return index
