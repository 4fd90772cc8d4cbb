"""``faqbot eval --predictions FILE.jsonl``: every query's decision, one JSON line each, so an
evaluator can read each miss — what was expected, what the bot decided, its top candidates and why."""
from __future__ import annotations

import json
from pathlib import Path

from training.decision_metrics import decision_correct
from training.metrics import Outcome
from training.queries import LabelledQuery
from training.splits import split_of

TOP = 5


def prediction(q: LabelledQuery, o: Outcome) -> dict:
    line = {"id": q.id or None, "class": q.kind or None, "split": split_of(q.id or q.text), "text": q.text,
            "expected": q.expected_id, "expected_decision": q.expected_decision,
            "expected_ids": list(q.expected_ids), "decision": o.decision, "options": list(o.options),
            "top": [{"id": entry, "score": round(float(score), 4)} for entry, score in zip(o.ranked[:TOP], o.scores)],
            "confidence": round(float(o.confidence), 4), "reasons": list(o.reasons)}
    if q.expected_decision:
        line["correct"] = decision_correct(q, o)
    return line


def write_predictions(path, queries: list[LabelledQuery], outcomes: list[Outcome]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for q, o in zip(queries, outcomes):
            handle.write(json.dumps(prediction(q, o), ensure_ascii=False) + "\n")
    return path
