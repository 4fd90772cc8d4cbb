"""``faqbot tune``: choose thresholds on labelled queries.

Minimise the wrong-answer rate subject to a minimum self-service rate; when no setting reaches
that rate, take the one with the most self-service at the lowest wrong-answer rate.
"""
from __future__ import annotations

from typing import List

import numpy as np

from training.metrics import report
from training.scoring import outcomes

GRID = 41


def tune(bot, queries, analyses: List, min_self_service: float) -> dict:
    answer_grid = np.unique(np.quantile([a.answer_confidence for a in analyses], np.linspace(0, 1, GRID)))
    options_conf = [a.options_confidence for a in analyses]
    best = None
    for t_answer in np.append(answer_grid, 1.01):
        for t_clarify in np.unique(np.append(np.quantile(options_conf, np.linspace(0, 1, 21)), t_answer)):
            if t_clarify > t_answer:
                continue
            policy = bot.policy.tuned(float(t_answer), float(t_clarify))
            m = report(outcomes(bot, queries, analyses, policy))
            feasible = m["self_service_rate"] >= min_self_service
            key = (feasible, -m["wrong_answer_rate"], m["self_service_rate"]) if feasible else (
                feasible, m["self_service_rate"], -m["wrong_answer_rate"])
            if best is None or key > best[0]:
                best = (key, float(t_answer), float(t_clarify), m)
    _, t_answer, t_clarify, m = best
    return {"answer": round(t_answer, 4), "clarify": round(t_clarify, 4), "max_options": bot.policy.max_options,
            "dev_self_service_rate": m["self_service_rate"], "dev_wrong_answer_rate": m["wrong_answer_rate"]}
