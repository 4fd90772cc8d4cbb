"""The entry pairs the bot confuses most: expected → ranked first instead, with example queries.

Pairs are directed (a → b differs from b → a): a query of ``a`` losing to ``b`` usually means ``b``'s
questions are too broad or ``a`` lacks a phrasing, and the fix differs.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from training.metrics import ANSWERING, Outcome

TOP_PAIRS = 15
EXAMPLES = 3


def confused_pairs(outcomes: Sequence[Outcome], questions: dict[str, str], top: int = TOP_PAIRS,
                   examples: int = EXAMPLES) -> list[dict]:
    pairs: Counter = Counter()
    answered: Counter = Counter()
    texts: dict[tuple, list[str]] = defaultdict(list)
    for o in outcomes:
        if o.expected is None or not len(o.ranked) or o.ranked[0] == o.expected:
            continue
        pair = (o.expected, o.ranked[0])
        pairs[pair] += 1
        answered[pair] += o.decision in ANSWERING
        if len(texts[pair]) < examples:
            texts[pair].append(o.text)
    return [{"expected": a, "expected_question": questions.get(a, ""), "got": b, "got_question": questions.get(b, ""),
             "count": n, "answered_wrong": answered[(a, b)], "examples": texts[(a, b)]}
            for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
