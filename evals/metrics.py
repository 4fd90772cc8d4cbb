"""The evaluation contract's metrics, from per-query outcomes (see README, "Evaluation")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

ANSWERING = ("answer", "handoff")  # the bot acted on its top entry


@dataclass(frozen=True)
class Outcome:
    expected: Optional[str]  # None: nothing in the KB answers it
    ranked: Sequence[str]  # entry ids, best first
    decision: str
    options: Sequence[str] = ()
    latency_ms: float = 0.0


def report(outcomes: List[Outcome]) -> dict:
    ins = [o for o in outcomes if o.expected is not None]
    oos = [o for o in outcomes if o.expected is None]
    n_in = max(1, len(ins))
    answered = [o for o in outcomes if o.decision in ANSWERING]
    fallback = [o for o in outcomes if o.decision == "fallback"]
    top1 = lambda o: list(o.ranked[:1]) == [o.expected]  # noqa: E731
    answered_correct = sum(1 for o in ins if o.decision in ANSWERING and top1(o))
    clarified = [o for o in ins if o.decision == "clarify"]
    clarify_hit = sum(1 for o in clarified if o.expected in o.options)
    fallback_oos = sum(1 for o in fallback if o.expected is None)
    latencies = [o.latency_ms for o in outcomes]
    return {
        "n_queries": len(outcomes),
        "n_oos": len(oos),
        "accuracy_at_1": _r(sum(top1(o) for o in ins) / n_in),
        "mrr_at_5": _r(sum(_reciprocal_rank(o) for o in ins) / n_in),
        "recall_at_5": _r(sum(o.expected in list(o.ranked[:5]) for o in ins) / n_in),
        "answered_correct": _r(answered_correct / n_in),
        "clarify_rate": _r(len(clarified) / n_in),
        "clarify_hit": _r(clarify_hit / n_in),
        "self_service_rate": _r((answered_correct + clarify_hit) / n_in),
        "wrong_answer_rate": _r(sum(1 for o in answered if not top1(o)) / max(1, len(outcomes))),
        "oos_precision": _r(fallback_oos / len(fallback)) if fallback else None,
        "oos_recall": _r(fallback_oos / len(oos)) if oos else None,
        "latency_ms_p50": _r(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_ms_p95": _r(float(np.percentile(latencies, 95)), 2) if latencies else None,
    }


def _reciprocal_rank(o: Outcome) -> float:
    top5 = list(o.ranked[:5])
    return 1.0 / (top5.index(o.expected) + 1) if o.expected in top5 else 0.0


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)
