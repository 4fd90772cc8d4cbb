"""Curves over an evaluation: the answer-threshold sweep and top-k accuracy.

The sweep re-decides every analysed query at each answer threshold (the clarify threshold kept,
but never above the answer one), so it shows what moving the threshold would do on this data
without analysing a query twice.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from training.metrics import Outcome, rates
from training.scoring import outcomes

# 1.01: answers only what has one plausible entry (bot.decision answers that rather than ask about it)
GRID = [round(t, 3) for t in np.linspace(0.0, 1.0, 41)] + [1.01]
TOP_K = 10


def threshold_sweep(segments: Sequence, grid: Sequence[float] = GRID,
                    advance: Callable[[int], None] | None = None) -> dict:
    """Per answer threshold: self-service, answered-correct and wrong-answer rates; and the operating point."""
    points = []
    for t in grid:
        found: list[Outcome] = []
        for s in segments:
            policy = replace(s.bot.policy, answer_threshold=float(t),
                             clarify_threshold=min(s.bot.policy.clarify_threshold, float(t)))
            found += outcomes(s.bot, s.queries, s.analyses, policy)
        r = rates(found)
        points.append({"answer_threshold": t, **{k: round(r[k], 4) for k in
                                                 ("self_service_rate", "answered_correct", "wrong_answer_rate")}})
        if advance:
            advance(1)
    configured = float(np.mean([s.bot.policy.answer_threshold for s in segments]))
    return {"points": points, "configured_answer_threshold": round(configured, 4)}


def top_k_accuracy(outcomes: Sequence[Outcome], k_max: int = TOP_K) -> list[dict]:
    """Share of in-scope queries whose entry is among the first k candidates, k = 1…k_max."""
    ins = [o for o in outcomes if o.expected is not None]
    ranks = np.array([list(o.ranked[:k_max]).index(o.expected) + 1 if o.expected in o.ranked[:k_max] else k_max + 1
                      for o in ins])
    return [{"k": k, "accuracy": round(float((ranks <= k).mean()), 4) if len(ranks) else 0.0}
            for k in range(1, k_max + 1)]
