"""``faqbot eval --kb KB --cv K``: K-fold cross-validation on the KB's own similar questions.

For teams with no labelled traffic yet. Fold i holds out about 1/K of every entry's similar
questions as queries and trains on the rest; the standard question always stays, so every entry
can still be found. Folds are fixed by a seed, so two configurations see the same held-out queries
(and can be compared pair-wise). There are no out-of-scope queries here: oos_* and the wrong-answer
rate say nothing about questions the KB does not cover.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.config import Config
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import load_kb

from training.metrics import report
from training.queries import LabelledQuery
from evals.runner import EvalRun, evaluate

FOLD_KEYS = ("accuracy_at_1", "self_service_rate", "wrong_answer_rate", "mrr_at_5")


def folds(kb: KnowledgeBase, k: int, seed: int = 0) -> list[tuple[KnowledgeBase, list[LabelledQuery]]]:
    """K (training KB, held-out queries) pairs; each similar question is held out in exactly one fold."""
    if k < 2:
        raise ValueError(f"--cv needs at least 2 folds, got {k}")
    kb = kb.published()
    rng = np.random.default_rng(seed)
    assignment = {}  # entry id → fold of each similar question
    for e in kb:
        offset = int(rng.integers(k))  # entries with few similar questions do not all land in fold 0
        assignment[e.id] = (rng.permutation(len(e.similar)) + offset) % k
    result = []
    for i in range(k):
        entries, queries = [], []
        for e in kb:
            held = assignment[e.id] == i
            entries.append(replace(e, similar=tuple(s for s, h in zip(e.similar, held) if not h)))
            queries += [LabelledQuery(s, e.id) for s, h in zip(e.similar, held) if h]
        if not queries:
            raise ValueError(f"{kb.source}: fold {i + 1} of {k} has no held-out question; --cv needs entries with "
                             f"similar questions (at least {k} in all)")
        result.append((replace(kb, entries=tuple(entries)), queries))
    return result


def cross_validate(kb_path, config: Config, k: int, tune_on=None, show_progress: bool = True,
                   seed: int = 0) -> EvalRun:
    """One run whose metrics pool every fold's queries; ``result["folds"]`` has each fold's own."""
    runs = []
    for i, (kb, queries) in enumerate(folds(load_kb(kb_path), k, seed)):
        runs.append(evaluate(kb_path, f"fold {i + 1}/{k}", config, tune_on, show_progress, kb=kb, queries=queries))
    pooled = [o for run in runs for o in run.outcomes]
    result = report(pooled)
    per_fold = [{key: run.result[key] for key in (*FOLD_KEYS, "n_queries")} | {"thresholds": run.result["thresholds"]}
                for run in runs]
    result.update(
        train_seconds=round(sum(run.result["train_seconds"] for run in runs), 2),
        thresholds={"answer": _mean(runs, "answer"), "clarify": _mean(runs, "clarify"),
                    "source": f"mean of {k} folds' trained thresholds" if tune_on is None else str(tune_on)},
        kb=str(kb_path), queries=f"{k}-fold cross-validation on the KB's similar questions (seed {seed})",
        n_entries=runs[0].result["n_entries"], encoder=runs[0].result["encoder"], cv_folds=k, folds=per_fold,
        **{f"{key}_fold_std": round(float(np.std([run.result[key] for run in runs])), 4) for key in FOLD_KEYS})
    return EvalRun(result, pooled, [s for run in runs for s in run.segments])


def _mean(runs: list[EvalRun], key: str) -> float:
    return round(float(np.mean([run.result["thresholds"][key] for run in runs])), 4)
