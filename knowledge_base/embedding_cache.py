"""Embeddings keyed by encoder + text, so retraining after a small edit re-encodes only what changed.

The cache of one encoder is a folder of append-only shards (sorted text hashes + their vectors):
a training run reads only the vectors it needs (memory-mapped) and writes one small shard with
the texts it had to encode, so a million cached texts cost neither a full read nor a full rewrite.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Callable, List, Sequence, Tuple

import numpy as np

from knowledge_base.encoders import Encoder
from knowledge_base.environment import cache_root
from knowledge_base.text_keys import KEY, keys_of

MAX_SHARDS = 16  # beyond this, every shard but the largest is merged into one


class EmbeddingCache:
    def __init__(self, encoder: Encoder, folder: Path):
        self.encoder = encoder
        self.folder = Path(folder)

    @classmethod
    def default(cls, encoder: Encoder) -> "EmbeddingCache":
        slug = hashlib.sha1(encoder.name.encode()).hexdigest()[:16]
        cache = cls(encoder, cache_root() / "embeddings" / slug)
        cache._adopt_single_file(cache_root() / "embeddings" / f"{slug}.npz")
        return cache

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] = lambda n: None) -> np.ndarray:
        """Vectors of ``texts`` (in order); only texts never seen with this encoder are encoded."""
        keys = keys_of(texts)
        found, vectors = self.lookup(keys)
        missing = list(dict.fromkeys(t for t, hit in zip(texts, found) if not hit))
        progress(len(texts) - len(missing))
        fresh: List[np.ndarray] = []
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            fresh.append(np.asarray(self.encoder.encode(batch), np.float32))
            progress(len(batch))
        if missing:
            new = np.concatenate(fresh)
            self.add(missing, new)
            row = dict(zip(keys_of(missing), range(len(missing))))
            vectors = vectors if vectors is not None else np.zeros((len(texts), new.shape[1]), np.float32)
            misses = np.flatnonzero(~found)
            vectors[misses] = new[[row[k] for k in keys[misses].tolist()]]
        if not len(texts):
            return np.zeros((0, 0), np.float32)
        return vectors

    def lookup(self, keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(found mask, vectors) for text hashes; rows of keys not found are zero."""
        found = np.zeros(len(keys), bool)
        vectors = None
        for shard_keys, shard_vectors in self._shards():
            if not len(shard_keys) or found.all():
                continue
            pos = np.searchsorted(shard_keys, keys).clip(max=len(shard_keys) - 1)
            hit = ~found & (shard_keys[pos] == keys)
            if vectors is None:
                vectors = np.zeros((len(keys), shard_vectors.shape[1]), np.float32)
            rows = np.flatnonzero(hit)
            order = np.argsort(pos[rows])  # read the memory map front to back
            vectors[rows[order]] = shard_vectors[pos[rows[order]]]
            found |= hit
        return found, vectors

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors for texts as one new shard (written beside and renamed: readers see all or nothing)."""
        keys, first = np.unique(keys_of(texts), return_index=True)
        self._write_shard(keys, np.asarray(vectors, np.float32)[first])
        if len(self._shard_names()) > MAX_SHARDS:
            self._merge_small_shards()

    # -- shards ---------------------------------------------------------------------------------
    def _shard_names(self) -> List[str]:
        if not self.folder.exists():
            return []
        return sorted(p.name[:-len(".keys.npy")] for p in self.folder.glob("*.keys.npy"))

    def _shards(self):
        for name in self._shard_names():
            try:  # a damaged or concurrently merged shard is only a slower training run
                keys = np.load(self.folder / f"{name}.keys.npy")
                vectors = np.load(self.folder / f"{name}.vectors.npy", mmap_mode="r")
            except (OSError, ValueError):
                continue
            if len(keys) == len(vectors):
                yield keys, vectors

    def _write_shard(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        for suffix, array in ((".vectors.npy", vectors), (".keys.npy", keys.astype(KEY))):  # keys last: complete
            tmp = self.folder / f".{name}{suffix}"
            np.save(tmp, array)
            os.replace(tmp, self.folder / f"{name}{suffix}")

    def _merge_small_shards(self) -> None:
        names = self._shard_names()
        sizes = {n: (self.folder / f"{n}.keys.npy").stat().st_size for n in names}
        small = sorted(names, key=sizes.get)[:-1]
        parts = []
        for name in small:
            try:
                parts.append((np.load(self.folder / f"{name}.keys.npy"), np.load(self.folder / f"{name}.vectors.npy")))
            except (OSError, ValueError):
                continue
        if parts:
            keys, first = np.unique(np.concatenate([k for k, _ in parts]), return_index=True)
            self._write_shard(keys, np.concatenate([v for _, v in parts])[first])
        for name in small:
            for suffix in (".keys.npy", ".vectors.npy"):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)

    def _adopt_single_file(self, path: Path) -> None:
        """Caches written before shards were one ``.npz`` per encoder (hex keys): copied once, left in place."""
        if self.folder.exists() or not path.exists():
            return
        try:
            with np.load(path) as data:
                keys = np.array([bytes.fromhex(k) for k in data["keys"].tolist()], dtype=KEY)
                vectors = data["vectors"]
            order = np.argsort(keys)
            self._write_shard(keys[order], vectors[order])
        except Exception:  # unreadable: nothing worth keeping
            self.folder.mkdir(parents=True, exist_ok=True)


__all__ = ["EmbeddingCache", "KEY", "keys_of"]
