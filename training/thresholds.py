"""Choosing the answer / clarify thresholds from confidences and outcomes."""
from __future__ import annotations

import numpy as np

MIN_SUPPORT = 20  # never trust a precision measured on fewer answered questions


def lowest_threshold_with_precision(confidence: np.ndarray, correct: np.ndarray, target: float,
                                    fallback: float) -> float:
    """Smallest threshold whose answered set (confidence ≥ t) reaches ``target`` precision."""
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    good = np.flatnonzero((precision >= target) & (np.arange(1, len(ok) + 1) >= MIN_SUPPORT))
    if len(good) == 0:
        return fallback
    threshold = float(conf[good[-1]])
    return float(np.clip(threshold, 0.05, 0.99))
