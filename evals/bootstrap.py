"""Paired bootstrap intervals for the difference of a metric between two pipelines on the same queries.

Both pipelines are resampled with the same query indices, so what varies is only which queries
happened to be in the set: a 0.5-point gain whose interval spans 0 is not evidence of progress.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.metrics import Outcome, indicators

RESAMPLES = 1000
LEVEL = 0.95
CHUNK = 100  # resamples drawn at once: memory stays ~CHUNK × n_queries


def difference_interval(num_a, den_a, num_b, den_b, resamples: int = RESAMPLES, level: float = LEVEL,
                        seed: int = 0) -> dict:
    """B − A of the ratio metric sum(num)/sum(den), with its percentile bootstrap interval."""
    arrays = [np.asarray(x, dtype=float) for x in (num_a, den_a, num_b, den_b)]
    n = len(arrays[0])
    if any(len(x) != n for x in arrays):
        raise ValueError("a paired bootstrap needs both pipelines evaluated on the same queries")
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, resamples, CHUNK):
        idx = rng.integers(0, n, size=(min(CHUNK, resamples - start), n))
        na, da, nb, db = (x[idx].sum(axis=1) for x in arrays)
        diffs.append(_ratio(nb, db) - _ratio(na, da))
    diffs = np.concatenate(diffs)
    point = _ratio(arrays[2].sum(), arrays[3].sum()) - _ratio(arrays[0].sum(), arrays[1].sum())
    low, high = np.percentile(diffs, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return {"difference": round(float(point), 4), "low": round(float(low), 4), "high": round(float(high), 4),
            "significant": bool(low > 0 or high < 0)}


def compare(a: Sequence[Outcome], b: Sequence[Outcome], metrics: Sequence[str], **kwargs) -> dict[str, dict]:
    """Per metric, B − A with its interval; ``a`` and ``b`` are outcomes of the same queries, in order."""
    if [o.text for o in a] != [o.text for o in b]:
        raise ValueError("a paired bootstrap needs both pipelines evaluated on the same queries, in the same order")
    ia, ib = indicators(a), indicators(b)
    return {m: difference_interval(*ia[m], *ib[m], **kwargs) for m in metrics}


def interval_text(d: dict) -> str:
    """``+0.0120 [-0.0030, +0.0270]``: a difference and its interval as people read them."""
    return f"{d['difference']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]"


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(np.asarray(num, dtype=float)), where=np.asarray(den) > 0)
