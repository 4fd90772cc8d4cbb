"""Did the bot decide what a good support bot decides? For query files that label each message's
``expected_decision``: a verdict per message, and its rates overall, per class and per split
(tuning / held-out). The definitions are in docs/evaluation.md, "Decision accuracy"."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from training.metrics import Outcome
from training.queries import LabelledQuery
from training.splits import HELD_OUT, TUNING, split_of

Pair = tuple[LabelledQuery, Outcome]
ALL_IN_TOP = 5  # a multi-question message is covered when every entry it asks about is in this many


def decision_correct(q: LabelledQuery, o: Outcome) -> bool:
    """answer: answered with one of the right entries; clarify: at least one right entry among the
    options; fallback / handoff: that decision, whatever the ranking."""
    if q.expected_decision == "answer":
        return o.decision == "answer" and _top(o) in q.right_entries
    if q.expected_decision == "clarify":
        return o.decision == "clarify" and any(option in q.right_entries for option in o.options)
    return o.decision == q.expected_decision


def wrong_answer(q: LabelledQuery, o: Outcome) -> bool:
    """The bot answered with an entry that is not a right one (out of scope, vague or wrong topic)."""
    return o.decision == "answer" and _top(o) not in q.right_entries


def one_option_clarify(o: Outcome) -> bool:
    """"您是想问 X 吗？" — a clarification offering a single option, a timid answer."""
    return o.decision == "clarify" and len(o.options) == 1


def decision_report(queries: Sequence[LabelledQuery], outcomes: Sequence[Outcome]) -> dict | None:
    """The decision metrics of the labelled queries; None when no query labels its decision."""
    pairs = [(q, o) for q, o in zip(queries, outcomes) if q.expected_decision]
    if not pairs:
        return None
    splits = {name: [p for p in pairs if split_of(p[0].id or p[0].text) == name] for name in (TUNING, HELD_OUT)}
    return {**summary(pairs), "confusion": confusion(pairs), "multi_question_all_in_top5": _covered(pairs),
            "by_class": by_class(pairs),
            "by_split": {name: {**summary(part), "by_class": by_class(part)} for name, part in splits.items()}}


def summary(pairs: Sequence[Pair]) -> dict:
    answerable = [(q, o) for q, o in pairs if q.expected_decision == "answer"]
    wrong = sum(wrong_answer(q, o) for q, o in pairs)
    return {
        "n": len(pairs),
        "decision_accuracy": _share(sum(decision_correct(q, o) for q, o in pairs), len(pairs)),
        "answerable_answered": _share(sum(decision_correct(q, o) for q, o in answerable), len(answerable)),
        "one_option_clarify_share": _share(sum(one_option_clarify(o) for _, o in pairs), len(pairs)),
        "wrong_answers": wrong,
        "wrong_answer_rate": _share(wrong, len(pairs)),
    }


def by_class(pairs: Sequence[Pair]) -> dict[str, dict]:
    groups: dict[str, list[Pair]] = defaultdict(list)
    for q, o in pairs:
        groups[q.kind or "unclassified"].append((q, o))
    return {name: summary(groups[name]) for name in sorted(groups)}


def confusion(pairs: Sequence[Pair]) -> dict[str, dict[str, int]]:
    """Expected decision → the bot's decisions, counted."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for q, o in pairs:
        counts[q.expected_decision][o.decision] += 1
    return {expected: dict(found.most_common()) for expected, found in sorted(counts.items())}


def _covered(pairs: Sequence[Pair]):
    multi = [(q, o) for q, o in pairs if q.kind == "multi_question"]
    return _share(sum(set(q.right_entries) <= set(o.ranked[:ALL_IN_TOP]) for q, o in multi), len(multi))


def _top(o: Outcome) -> str | None:
    return o.ranked[0] if len(o.ranked) else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
