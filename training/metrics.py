"""The evaluation contract's metrics, from per-query outcomes (see README, "Evaluation").

Every rate is a ratio of two per-query sums (``indicators``), so the same definitions serve the
report, the threshold sweep and the bootstrap of a difference between two pipelines.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ANSWERING = ("answer", "handoff")  # the bot acted on its top entry
# Rates whose denominator may be empty are None then, not 0 (no fallback → precision undefined).
UNDEFINED_WHEN_EMPTY = ("oos_precision", "oos_recall")


@dataclass(frozen=True)
class Outcome:
    expected: str | None  # None: nothing in the KB answers it
    ranked: Sequence[str]  # entry ids, best first
    decision: str
    options: Sequence[str] = ()
    latency_ms: float = 0.0
    text: str = ""
    confidence: float = 0.0  # calibrated P(top-1 is right), what the answer threshold is compared with
    scores: Sequence[float] = ()  # match probability of each ranked entry
    reasons: Sequence[str] = ()  # why the bot decided so (``Decision.reasons``)


def indicators(outcomes: Sequence[Outcome]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per metric, a (numerator, denominator) value per query; the metric is sum(num) / sum(den)."""
    ins = np.array([o.expected is not None for o in outcomes], dtype=bool)
    top1 = top1_right(outcomes)
    answering = np.array([o.decision in ANSWERING for o in outcomes], dtype=bool)
    clarified = np.array([o.decision == "clarify" for o in outcomes], dtype=bool) & ins
    hit = clarified & np.array([o.expected in o.options for o in outcomes], dtype=bool)
    fallback = np.array([o.decision == "fallback" for o in outcomes], dtype=bool)
    rr = np.array([_reciprocal_rank(o) for o in outcomes], dtype=float)
    f = _as_counts
    return {
        "accuracy_at_1": (f(top1), f(ins)),
        "mrr_at_5": (rr * ins, f(ins)),
        "recall_at_5": (f(rr > 0), f(ins)),
        "answered_correct": (f(answering & top1), f(ins)),
        "clarify_rate": (f(clarified), f(ins)),
        "clarify_hit": (f(hit), f(ins)),
        "self_service_rate": (f((answering & top1) | hit), f(ins)),
        "wrong_answer_rate": (f(answering & ~top1), np.ones(len(outcomes))),
        "oos_precision": (f(fallback & ~ins), f(fallback)),
        "oos_recall": (f(fallback & ~ins), f(~ins)),
    }


def top1_right(outcomes: Sequence[Outcome]) -> np.ndarray:
    """Per query: the top entry is the expected one (never true for an out-of-scope query)."""
    return np.array([o.expected is not None and bool(len(o.ranked)) and o.ranked[0] == o.expected
                     for o in outcomes], dtype=bool)


def rates(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """Every rate of the contract, unrounded."""
    result = {}
    for name, (num, den) in indicators(outcomes).items():
        empty = den.sum() == 0
        result[name] = None if empty and name in UNDEFINED_WHEN_EMPTY else float(num.sum() / max(1.0, den.sum()))
    return result


def report(outcomes: list[Outcome]) -> dict:
    latencies = [o.latency_ms for o in outcomes]
    result = {"n_queries": len(outcomes), "n_oos": sum(1 for o in outcomes if o.expected is None)}
    result.update({name: None if value is None else _r(value) for name, value in rates(outcomes).items()})
    result.update({
        "latency_ms_p50": _r(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_ms_p95": _r(float(np.percentile(latencies, 95)), 2) if latencies else None,
    })
    return result


def _as_counts(mask: np.ndarray) -> np.ndarray:
    return mask.astype(float)


def _reciprocal_rank(o: Outcome) -> float:
    if o.expected is None:
        return 0.0
    top5 = list(o.ranked[:5])
    return 1.0 / (top5.index(o.expected) + 1) if o.expected in top5 else 0.0


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)
