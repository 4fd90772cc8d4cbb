"""``faqbot eval``: train on a KB, optionally tune on a dev file, evaluate every query."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.config import Config
from bot.decision import Analysis
from bot.engine import Bot
from bot.service.chat import ChatSession
from handoff.router import HandoffRouter
from knowledge_base.chitchat import with_chitchat
from knowledge_base.loader import load_kb
from training.decision_metrics import decision_report
from training.labelled_calibration import evaluated_honestly
from training.metrics import Outcome, report
from training.model_cache import train_cached
from training.queries import LabelledQuery, load_queries
from training.scoring import analyse_all, outcomes
from training.tuner import tune


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
    decided: list[Outcome] = field(default_factory=list)  # as customers see them: through the transfer rules

    @property
    def queries(self) -> list[LabelledQuery]:
        """The queries in the order of ``outcomes``."""
        return [q for s in self.segments for q in s.queries]


def run_eval(kb_path, queries_path, config: Config, tune_on=None, show_progress: bool = True) -> dict:
    return evaluate(kb_path, queries_path, config, tune_on, show_progress).result


def evaluate(kb_path, queries_path, config: Config, tune_on=None, show_progress: bool = True,
             kb=None, queries: list[LabelledQuery] | None = None, sessions=None) -> EvalRun:
    """``run_eval`` keeping the per-query outcomes; ``kb`` / ``queries`` given in memory skip reading files;
    ``sessions``: the sessions sample that by-reference queries point into (default: found near the file)."""
    kb = kb if kb is not None else load_kb(kb_path)
    known = {e.id for e in with_chitchat(kb, config.chitchat).published()}  # what the trained bot can answer
    if queries is None:
        queries = load_queries(queries_path, known, sessions)  # checked before minutes of training, not after
    dev = load_queries(tune_on, known, sessions) if tune_on else None
    config = evaluated_honestly(config, queries_path, tune_on)
    bot, train_seconds = train_cached(kb_path, config, show_progress, kb)
    thresholds = dict(bot.manifest["thresholds"], source="trained")
    if dev is not None:
        dev_analyses, _ = analyse_all(bot, dev, show_progress, "tuning")
        thresholds = dict(tune(bot, dev, dev_analyses, config.decision.min_self_service_rate), source=str(tune_on))
        bot.with_thresholds(thresholds["answer"], thresholds["clarify"])
    analyses, latencies = analyse_all(bot, queries, show_progress, "evaluating")
    found = outcomes(bot, queries, analyses, bot.policy, latencies)
    result = report(found)
    decided = first_turns(bot, config, queries, found) if any(q.expected_decision for q in queries) else found
    decisions = decision_report(queries, decided)
    if decisions is not None:
        result["decisions"] = decisions
    result.update(train_seconds=train_seconds, thresholds=thresholds, kb=str(kb_path), queries=str(queries_path),
                  n_entries=len(bot.kb), encoder=bot.manifest.get("encoder"),
                  labelled_questions=bot.manifest.get("training", {}).get("labelled_questions", 0))
    return EvalRun(result, found, [Segment(bot, queries, analyses)], decided)


def first_turns(bot: Bot, config: Config, queries: list[LabelledQuery], found: list[Outcome]) -> list[Outcome]:
    """Each message as the first turn of a conversation, through the configured transfer rules: the
    decision a customer would see, a hand-off included (the ranking stays the bot's own)."""
    router = HandoffRouter.for_bot(config.handoff, bot)
    decided = []
    for q, o in zip(queries, found):
        reply = ChatSession(bot, "web", router).send(q.text)
        options = [option.id for option in reply.options] if reply.decision == "clarify" else []
        decided.append(replace(o, decision=reply.decision, options=options, reasons=tuple(reply.reasons)))
    return decided
