"""Embeddings keyed by encoder + text, so retraining after a small edit re-encodes only what changed."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Dict, Sequence

import numpy as np

from knowledge_base.encoders import Encoder


def cache_root() -> Path:
    """Where trained bots and embeddings are cached: $FAQBOT_CACHE or ~/.cache/faqbot."""
    return Path(os.environ.get("FAQBOT_CACHE", Path.home() / ".cache" / "faqbot"))


class EmbeddingCache:
    def __init__(self, encoder: Encoder, path: Path):
        self.encoder = encoder
        self.path = path

    @classmethod
    def default(cls, encoder: Encoder) -> "EmbeddingCache":
        slug = hashlib.sha1(encoder.name.encode()).hexdigest()[:16]
        return cls(encoder, cache_root() / "embeddings" / f"{slug}.npz")

    def encode(self, texts: Sequence[str], batch_size: int = 64,
               progress: Callable[[int], None] = lambda n: None) -> np.ndarray:
        known = self._read()
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in known))
        progress(len(texts) - len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            for text, vector in zip(batch, self.encoder.encode(batch)):
                known[_key(text)] = vector
            progress(len(batch))
        if missing:
            self._write(known)
        if not texts:
            return np.zeros((0, 0), np.float32)
        return np.stack([known[k] for k in keys]).astype(np.float32)

    def _read(self) -> Dict[str, np.ndarray]:
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path) as data:
                return dict(zip(data["keys"].tolist(), data["vectors"]))
        except Exception:  # a damaged cache is only a slower training run
            return {}

    def _write(self, known: Dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        os.replace(tmp, self.path)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
