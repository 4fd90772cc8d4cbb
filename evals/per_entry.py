"""Per-entry report: which entries lose their questions, which steal others', which the bot asks about.

Precision, recall and F1 are of the ranking's top-1 over in-scope queries (as ``accuracy_at_1``);
``answered_wrong`` counts the times the bot answered with the entry and was wrong, out-of-scope
queries included — the entry to fix when wrong answers are the problem.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from training.metrics import ANSWERING, Outcome

WORST_QUERIES = 3


def per_entry(outcomes: Sequence[Outcome], questions: dict[str, str], worst: int = WORST_QUERIES) -> list[dict]:
    """One row per entry that was expected, predicted or offered; ``questions`` maps id → standard question."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: dict[str, list[tuple]] = defaultdict(list)
    for o in outcomes:
        top = o.ranked[0] if len(o.ranked) else None
        if o.expected is not None:
            counts[o.expected]["support"] += 1
            if top is not None:
                counts[top]["predicted"] += 1
            if top == o.expected:
                counts[top]["true_positive"] += 1
            else:
                misses[o.expected].append(_miss(o))
        if o.decision in ANSWERING and top is not None and top != o.expected:
            counts[top]["answered_wrong"] += 1
        for option in (o.options if o.decision == "clarify" else ()):
            counts[option]["clarify_offered"] += 1
            counts[option]["clarify_offered_right"] += option == o.expected
    rows = []
    for entry_id, c in counts.items():
        precision = c["true_positive"] / c["predicted"] if c["predicted"] else None
        recall = c["true_positive"] / c["support"] if c["support"] else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else (
            0.0 if precision is not None and recall is not None else None)
        rows.append({"id": entry_id, "question": questions.get(entry_id, ""), "support": c["support"],
                     "predicted": c["predicted"], "precision": _r(precision), "recall": _r(recall), "f1": _r(f1),
                     "answered_wrong": c["answered_wrong"], "clarify_offered": c["clarify_offered"],
                     "clarify_offered_right": c["clarify_offered_right"],
                     "worst_queries": [m[1] for m in sorted(misses[entry_id], key=lambda m: m[0])[:worst]]})
    return sorted(rows, key=lambda r: (-r["support"], r["id"]))


def _miss(o: Outcome) -> tuple:
    """Sort key (right entry ranked lowest, or not at all, first) and what an evaluator needs to see."""
    rank = list(o.ranked).index(o.expected) + 1 if o.expected in o.ranked else None
    return ((-(rank or 10 ** 6)), {"text": o.text, "got": o.ranked[0] if len(o.ranked) else None,
                                   "decision": o.decision, "rank": rank})


def _r(value):
    return None if value is None else round(float(value), 4)
