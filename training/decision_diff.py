"""Two bots on the same questions, compared per question: what a trainer's edit changes for customers.

Aggregate scores hide trades — an edit can fix ten questions and break ten others at the same
accuracy — so the publish gate and ``faqbot diff`` look at every question: the decision and entry
before (A, the live version) and after (B, the draft), and the class of the change:

- ``answered→clarify``, ``answered→fallback``, ``clarify→fallback``, ``fallback→answered`` … — the
  decision changed (``answered`` covers answer and hand-off: the bot acted on its top entry);
- ``answer changed`` — answered both times, with another entry;
- ``options changed`` — clarified both times, with other options;
- ``unchanged``.

Labelled questions also get an effect: ``fixed`` (B is right where A was not) or ``broken`` (A was
right, B is not). A question *loses its answer* when A answered it with an entry and B does not
answer it with that entry — unless its label says A's answer was wrong.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence

from bot.engine import Bot
from training.metrics import ANSWERING
from training.queries import LabelledQuery

UNLABELLED = "unlabelled"  # a replayed customer message: the live decision is the reference


@dataclass(frozen=True)
class Verdict:
    """What one bot decided for one question."""

    decision: str
    entry: Optional[str]  # the answered entry, or the first option of a clarification
    options: tuple = ()

    @property
    def answered(self) -> bool:
        return self.decision in ANSWERING

    @property
    def kind(self) -> str:
        return "answered" if self.answered else self.decision


@dataclass(frozen=True)
class QueryChange:
    text: str
    expected: Optional[str]  # entry id; None: out of scope; UNLABELLED: traffic
    before: Verdict
    after: Verdict
    change: str
    effect: Optional[str]  # fixed | broken | None

    @property
    def lost_answer(self) -> bool:
        """A answered with an entry B no longer answers with (and the label does not call A wrong)."""
        if not self.before.answered or (self.after.answered and self.after.entry == self.before.entry):
            return False
        return self.expected in (UNLABELLED, self.before.entry)

    @property
    def changed_answer(self) -> bool:
        """Answered with another entry, not a fix, and not already counted as a lost answer."""
        return self.change == "answer changed" and self.effect != "fixed" and not self.lost_answer

    def to_dict(self) -> dict:
        row = asdict(self)
        row["before"]["options"] = list(self.before.options)
        row["after"]["options"] = list(self.after.options)
        row["lost_answer"] = self.lost_answer
        return row


def verdicts(bot: Bot, texts: Sequence[str]) -> List[Verdict]:
    """Each text on its own, as a first message of a conversation."""
    if not texts:
        return []
    result = []
    for analysis in bot.analyse(list(texts)):
        decision = bot.decide(analysis)
        ids = bot.entry_ids(analysis)
        options = tuple(ids[j] for j in decision.picked) if decision.kind == "clarify" else ()
        entry = (options[0] if options else None) if decision.kind == "clarify" else (
            ids[0] if decision.kind in ANSWERING and ids else None)
        result.append(Verdict(decision.kind, entry, options))
    return result


def classify(before: Verdict, after: Verdict) -> str:
    if before.kind != after.kind:
        return f"{before.kind}→{after.kind}"
    if before.answered and before.entry != after.entry:
        return "answer changed"
    if before.kind == "clarify" and set(before.options) != set(after.options):
        return "options changed"
    return "unchanged"


def right(expected: Optional[str], verdict: Verdict) -> bool:
    """Answered with the expected entry, offered it among the options, or fell back on an out-of-scope question."""
    if expected is None:
        return verdict.decision == "fallback"
    return (verdict.answered and verdict.entry == expected) or expected in verdict.options


def compare(texts: Sequence[str], expected: Sequence[Optional[str]], before: Sequence[Verdict],
            after: Sequence[Verdict]) -> List[QueryChange]:
    changes = []
    for text, label, a, b in zip(texts, expected, before, after):
        effect = None
        if label != UNLABELLED and right(label, a) != right(label, b):
            effect = "fixed" if right(label, b) else "broken"
        changes.append(QueryChange(text, label, a, b, classify(a, b), effect))
    return changes


def diff_bots(a: Bot, b: Bot, queries: Sequence[LabelledQuery]) -> List[QueryChange]:
    texts = [q.text for q in queries]
    return compare(texts, [q.expected_id for q in queries], verdicts(a, texts), verdicts(b, texts))


def diff_traffic(a: Bot, b: Bot, texts: Sequence[str]) -> List[QueryChange]:
    """Customer messages without labels: A's (the live version's) decision is the reference."""
    return compare(texts, [UNLABELLED] * len(texts), verdicts(a, texts), verdicts(b, texts))


def summary(changes: Sequence[QueryChange]) -> Dict[str, object]:
    """Counts and shares a gate or a table reads."""
    n = len(changes)
    counts = Counter(c.change for c in changes if c.change != "unchanged")
    effects = Counter(c.effect for c in changes if c.effect)
    lost = sum(c.lost_answer for c in changes)
    changed = sum(c.changed_answer for c in changes)
    return {"questions": n, "changed": sum(counts.values()), "by_change": dict(counts.most_common()),
            "fixed": effects.get("fixed", 0), "broken": effects.get("broken", 0), "lost_answers": lost,
            "changed_answers": changed, "lost_answer_share": round(lost / n, 4) if n else 0.0,
            "changed_answer_share": round(changed / n, 4) if n else 0.0}


def changed_only(changes: Sequence[QueryChange]) -> List[QueryChange]:
    return [c for c in changes if c.change != "unchanged" or c.effect]
