"""Choosing the answer / clarify thresholds from confidences and outcomes."""
from __future__ import annotations

from typing import Optional

import numpy as np

MIN_SUPPORT = 20  # never trust a precision measured on fewer answered questions
GRID = 0.01  # automatic thresholds are rounded up to this step


def lowest_threshold_with_precision(confidence: np.ndarray, correct: np.ndarray, target: float,
                                    fallback: float, weight: Optional[np.ndarray] = None) -> float:
    """Smallest threshold whose answered set (confidence ≥ t) reaches ``target`` precision, each row
    counting ``weight`` (default 1)."""
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    w = np.ones(len(ok)) if weight is None else np.asarray(weight, float)[order]
    precision = np.cumsum(ok * w) / np.cumsum(w)
    good = np.flatnonzero((precision >= target) & (np.arange(1, len(ok) + 1) >= MIN_SUPPORT))
    if len(good) == 0:
        return fallback
    threshold = float(conf[good[-1]])
    return float(np.clip(threshold, 0.05, 0.99))


def on_grid(threshold: float) -> float:
    """``threshold`` rounded up to the next ``GRID`` step (never below it: precision stays on target).
    A retraining after a small edit re-fits the confidence and moves the raw threshold by a few
    thousandths; on the grid it usually stays where it was, so no question elsewhere in the KB
    crosses it (issue 19: an edit to one entry must not change the decisions of the whole KB)."""
    return float(min(0.99, np.ceil(round(threshold / GRID, 6)) * GRID))
