"""Dense retrieval: normalised sentence embeddings in a faiss inner-product index.

Below ``exact_below`` vectors the search is exact (a flat index reads every vector: ~1 ms for 10k,
~100 ms for a million). Above, an approximate index reads a few per cent of them:
- ``ivf``: vectors grouped around √n k-means centres, ``probes`` groups searched per query; builds in
  seconds, and a retraining after a small edit reuses the centres;
- ``hnsw``: a proximity graph (``hnsw_m`` links a vector), ``ef_search`` candidates kept while
  walking it; the fastest to search and the slowest to build (minutes for a million).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from knowledge_base.component import Component

KINDS = ("ivf", "hnsw")
IVF_TRAINING_ITERATIONS = 10  # k-means rounds; faiss's default 25 costs 2.5× the time for no recall gain here
IVF_POINTS_PER_CENTRE = 64  # k-means trains on a sample of this many vectors per centre
HNSW_EF_CONSTRUCTION = 40


class DenseIndex(Component):
    """Fit on sentence vectors; ``predict`` gives exact cosines, ``search`` the nearest vectors fast."""

    def __init__(self, exact_below: int = 20000, kind: str = "ivf", probes: int = 64, hnsw_m: int = 32,
                 ef_search: int = 128):
        self.exact_below = exact_below
        self.kind = kind
        self.probes = probes
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search

    def fit(self, embeddings: np.ndarray, previous: Optional["DenseIndex"] = None) -> "DenseIndex":
        """Index the vectors; an IVF ``previous`` index of the same kind lends its k-means centres."""
        import faiss

        if self.kind not in KINDS:
            raise ValueError(f"Unknown dense index kind {self.kind!r}. Valid kinds: {list(KINDS)}")
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        n, d = vectors.shape
        if n < self.exact_below:
            self.index_ = faiss.IndexFlatIP(d)
        elif self.kind == "hnsw":
            self.index_ = faiss.IndexHNSWFlat(d, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index_.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            self.index_ = _ivf(vectors, previous)
        self.index_.add(vectors)
        return self

    def params(self) -> dict:
        return {"exact_below": self.exact_below, "kind": self.kind, "probes": self.probes, "hnsw_m": self.hnsw_m,
                "ef_search": self.ef_search}

    @property
    def exact(self) -> bool:
        import faiss

        return isinstance(self.index_, faiss.IndexFlat)

    @property
    def embeddings_(self) -> np.ndarray:
        """Every indexed vector, in order (a view of the index's own storage where it has one)."""
        return self.vectors(np.arange(self.index_.ntotal))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        import faiss

        ids = np.asarray(ids, dtype=np.int64)
        if isinstance(self.index_, faiss.IndexIVF):
            if self.index_.direct_map.type == faiss.DirectMap.NoMap:
                self.index_.make_direct_map()
            return self.index_.reconstruct_batch(ids)
        flat = self.index_ if self.exact else faiss.downcast_index(self.index_.storage)
        stored = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)
        return stored if len(ids) == flat.ntotal and (ids == np.arange(flat.ntotal)).all() else stored[ids]

    def search(self, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """(cosines, ids) of the ``k`` nearest vectors per query, best first; missing places have id -1."""
        import faiss

        self._require_fitted("index_")
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, self.index_.ntotal))
        params = None
        if isinstance(self.index_, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(nprobe=self.probes)
        elif not self.exact:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        return self.index_.search(queries, k, params=params)

    def predict(self, queries: np.ndarray) -> np.ndarray:
        """Exact cosine of every query to every vector (queries × vectors)."""
        self._require_fitted("index_")
        return np.asarray(queries, np.float32) @ self.embeddings_.T

    def save(self, folder: Path) -> None:
        import faiss

        self._require_fitted("index_")
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index_, str(folder / "index.faiss"))
        (folder / "dense.json").write_text(json.dumps(self.params()))

    @classmethod
    def load(cls, folder: Path) -> "DenseIndex":
        import faiss

        index = cls(**json.loads((folder / "dense.json").read_text()))
        index.index_ = faiss.read_index(str(folder / "index.faiss"))
        return index


def _ivf(vectors: np.ndarray, previous: Optional[DenseIndex]):
    """An IVF index with trained centres: the previous index's when it has them, else k-means on a sample."""
    import faiss

    n, d = vectors.shape
    if previous is not None and isinstance(previous.index_, faiss.IndexIVF) and previous.index_.d == d:
        centres = faiss.downcast_index(previous.index_.quantizer).reconstruct_n(0, previous.index_.nlist)
    else:
        lists = max(1, min(int(round(np.sqrt(n))), n // 39))  # faiss wants ≥ 39 training vectors a centre
        kmeans = faiss.Kmeans(d, lists, niter=IVF_TRAINING_ITERATIONS, spherical=True, seed=1234,
                              max_points_per_centroid=IVF_POINTS_PER_CENTRE)
        kmeans.train(vectors)
        centres = kmeans.centroids
    quantizer = faiss.IndexFlatIP(d)
    quantizer.add(np.ascontiguousarray(centres, dtype=np.float32))
    index = faiss.IndexIVFFlat(quantizer, d, len(centres), faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.own_fields = True
    quantizer.this.disown()
    return index
