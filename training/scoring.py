"""A trained bot scored on labelled queries, one message at a time as in production: what the
publish gate, ``faqbot tune`` and ``faqbot eval`` all count."""
from __future__ import annotations

import time

from bot.decision import Analysis, DecisionPolicy
from bot.engine import Bot
from training.metrics import Outcome
from training.progress import Progress
from training.queries import LabelledQuery

WARM_UP_QUERIES = 3
SHOWN_SCORES = 10  # candidates per query kept for reports (top-k curve, worst queries)


def analyse_all(bot: Bot, queries: list[LabelledQuery], show_progress: bool, label: str):
    """One message at a time, as in production; returns (analyses, latencies in ms)."""
    for q in queries[:WARM_UP_QUERIES]:
        bot.analyse([q.text])
    analyses, latencies = [], []
    with Progress(show_progress) as progress:
        advance = progress.task(label, len(queries))
        for q in queries:
            started = time.perf_counter()
            analyses.append(bot.analyse([q.text])[0])
            latencies.append((time.perf_counter() - started) * 1000)
            advance(1)
    return analyses, latencies


def outcomes(bot: Bot, queries: list[LabelledQuery], analyses: list[Analysis], policy: DecisionPolicy,
             latencies: list[float] | None = None) -> list[Outcome]:
    result = []
    for i, (q, a) in enumerate(zip(queries, analyses)):
        decision = bot.decide(a, policy=policy)
        ids = bot.entry_ids(a)
        options = [ids[j] for j in decision.picked] if decision.kind == "clarify" else []
        result.append(Outcome(q.expected_id, ids, decision.kind, options, latencies[i] if latencies else 0.0, q.text,
                              a.answer_confidence, a.proba[:SHOWN_SCORES], decision.reasons))
    return result
