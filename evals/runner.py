"""``faqbot eval``: train on a KB, optionally tune on a dev file, evaluate every query."""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

from bot.config import Config
from bot.decision import DecisionPolicy
from bot.engine import Analysis, Bot
from knowledge_base.loader import load_kb
from training.embedding_cache import cache_root
from training.progress import Progress
from training.trainer import train

from .metrics import Outcome, report
from .queries import LabelledQuery, load_queries

WARM_UP_QUERIES = 3


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


def analyse_all(bot: Bot, queries: List[LabelledQuery], show_progress: bool, label: str):
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


def outcomes(bot: Bot, queries: List[LabelledQuery], analyses: List[Analysis], policy: DecisionPolicy,
             latencies: Optional[List[float]] = None) -> List[Outcome]:
    result = []
    for i, (q, a) in enumerate(zip(queries, analyses)):
        decision, picked = bot.decide(a, policy)
        ids = bot.entry_ids(a)
        options = [ids[j] for j in picked] if decision == "clarify" else []
        result.append(Outcome(q.expected_id, ids, decision, options, latencies[i] if latencies else 0.0))
    return result


def run_eval(kb_path, queries_path, config: Config, tune_on=None, show_progress: bool = True) -> dict:
    from training.tuner import tune

    kb = load_kb(kb_path)
    known = {e.id for e in kb.published()}
    queries = load_queries(queries_path, known)  # checked before minutes of training, not after
    dev = load_queries(tune_on, known) if tune_on else None
    bot, train_seconds = train_cached(kb_path, config, show_progress, kb)
    thresholds = dict(bot.manifest["thresholds"], source="trained")
    if dev is not None:
        dev_analyses, _ = analyse_all(bot, dev, show_progress, "tuning")
        thresholds = dict(tune(bot, dev, dev_analyses, config.decision.min_self_service_rate), source=str(tune_on))
        bot.with_thresholds(thresholds["answer"], thresholds["clarify"])
    analyses, latencies = analyse_all(bot, queries, show_progress, "evaluating")
    result = report(outcomes(bot, queries, analyses, bot.policy, latencies))
    result.update(train_seconds=train_seconds, thresholds=thresholds, kb=str(kb_path), queries=str(queries_path),
                  n_entries=len(bot.kb), encoder=bot.manifest.get("encoder"))
    return result
