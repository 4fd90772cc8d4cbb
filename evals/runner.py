"""``faqbot eval``: train on a KB, optionally tune on a dev file, evaluate every query."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config
from bot.decision import DecisionPolicy
from bot.engine import Analysis, Bot
from knowledge_base.loader import load_kb
from knowledge_base.embedding_cache import cache_root
from training.progress import Progress
from training.trainer import train

from evals.metrics import Outcome, report
from evals.queries import LabelledQuery, load_queries

WARM_UP_QUERIES = 3
SHOWN_SCORES = 10  # candidates per query kept for reports (top-k curve, worst queries)


@dataclass
class Segment:
    """Queries analysed by one trained bot (a cross-validation run has one per fold)."""

    bot: Bot
    queries: list[LabelledQuery]
    analyses: list[Analysis]


@dataclass
class EvalRun:
    """An evaluation's contract metrics plus what the reports need to look closer."""

    result: dict
    outcomes: list[Outcome]
    segments: list[Segment] = field(default_factory=list)


def model_cache_dir() -> Path:
    return cache_root() / "models"


def train_cached(kb_path, config: Config, show_progress: bool = True, kb=None):
    """Train into the model cache (keyed by KB + config) and load; returns (bot, seconds)."""
    kb = (kb or load_kb(kb_path)).published()
    out = model_cache_dir() / f"{kb.content_hash()}-{config.fingerprint()}"
    started = time.perf_counter()
    train(kb, config, out, show_progress=show_progress)
    bot = Bot.load(out)
    seconds = bot.manifest.get("training", {}).get("train_seconds", round(time.perf_counter() - started, 2))
    return bot, seconds


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
        decision, picked = bot.decide(a, policy)
        ids = bot.entry_ids(a)
        options = [ids[j] for j in picked] if decision == "clarify" else []
        result.append(Outcome(q.expected_id, ids, decision, options, latencies[i] if latencies else 0.0, q.text,
                              a.answer_confidence, a.proba[:SHOWN_SCORES]))
    return result


def run_eval(kb_path, queries_path, config: Config, tune_on=None, show_progress: bool = True) -> dict:
    return evaluate(kb_path, queries_path, config, tune_on, show_progress).result


def evaluate(kb_path, queries_path, config: Config, tune_on=None, show_progress: bool = True,
             kb=None, queries: list[LabelledQuery] | None = None) -> EvalRun:
    """``run_eval`` keeping the per-query outcomes; ``kb`` / ``queries`` given in memory skip reading files."""
    from training.tuner import tune

    kb = kb if kb is not None else load_kb(kb_path)
    known = {e.id for e in kb.published()}
    if queries is None:
        queries = load_queries(queries_path, known)  # checked before minutes of training, not after
    dev = load_queries(tune_on, known) if tune_on else None
    bot, train_seconds = train_cached(kb_path, config, show_progress, kb)
    thresholds = dict(bot.manifest["thresholds"], source="trained")
    if dev is not None:
        dev_analyses, _ = analyse_all(bot, dev, show_progress, "tuning")
        thresholds = dict(tune(bot, dev, dev_analyses, config.decision.min_self_service_rate), source=str(tune_on))
        bot.with_thresholds(thresholds["answer"], thresholds["clarify"])
    analyses, latencies = analyse_all(bot, queries, show_progress, "evaluating")
    found = outcomes(bot, queries, analyses, bot.policy, latencies)
    result = report(found)
    result.update(train_seconds=train_seconds, thresholds=thresholds, kb=str(kb_path), queries=str(queries_path),
                  n_entries=len(bot.kb), encoder=bot.manifest.get("encoder"))
    return EvalRun(result, found, [Segment(bot, queries, analyses)])
