"""Is the answer confidence a probability? Reliability bins and expected calibration error (ECE).

The answer threshold is compared with this confidence, so a bot whose 0.9 is right 60 % of the time
answers far more wrongly than its configuration suggests.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.metrics import Outcome, top1_right

N_BINS = 10


def calibration(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS) -> dict:
    """Equal-width bins over [0, 1]: per bin how many, mean confidence, accuracy; ECE = Σ n_b/N · |acc_b − conf_b|."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    which = np.clip(np.floor(confidence * n_bins).astype(int), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = which == b
        n = int(mask.sum())
        row = {"low": b / n_bins, "high": (b + 1) / n_bins, "n": n, "confidence": None, "accuracy": None}
        if n:
            row.update(confidence=round(float(confidence[mask].mean()), 4), accuracy=round(float(correct[mask].mean()), 4))
            ece += n / len(confidence) * abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
        bins.append(row)
    return {"ece": round(ece, 4), "bins": bins}


def outcome_calibration(outcomes: Sequence[Outcome], n_bins: int = N_BINS) -> dict:
    return calibration([o.confidence for o in outcomes], top1_right(outcomes), n_bins)
