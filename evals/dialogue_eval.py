"""`faqbot eval-dialogues`: replays transcripts through the bot and the transfer rules.

Labelled turns give turn-level accuracy (an ``entry`` label: did the bot answer with it?) and
hand-off precision/recall (a ``handoff`` label: should a person take over at this turn?). Any file,
labelled or not, gives hand-off and fallback rates, the rules that fired, and turns until hand-off
— e.g. the real JD customer-service sessions, replayed unlabelled.
"""
from __future__ import annotations

from collections import Counter
from statistics import mean, median
from typing import List

from bot.service.replay import ReplayedTurn, replay
from handoff.router import HandoffRouter
from handoff.transcript import Transcript

from training.progress import Progress
from training.splits import HELD_OUT, TUNING, split_of

GATED = ("turn_accuracy", "handoff_precision", "handoff_recall", "false_handoffs", "missed_handoffs",
         "handoff_rate", "turn_fallback_rate", "turns_until_handoff_mean")  # --fail-under / --fail-over


def eval_dialogues(bot, router: HandoffRouter, transcripts: List[Transcript], show_progress: bool = True) -> dict:
    replays = []
    with Progress(show_progress) as progress:
        advance = progress.task("replaying conversations", len(transcripts))
        for transcript in transcripts:
            replays.append((transcript, replay(bot, router, transcript)))
            advance(1)
    by_split = {name: _metrics([r for r in replays if split_of(r[0].id) == name]) for name in (TUNING, HELD_OUT)}
    return dict(**_metrics(replays), by_split=by_split,
                false_handoff_examples=[{"conversation": tr.id, "text": t.text, "rule": t.routing["rule"]}
                                        for tr, played in replays for t in played
                                        if t.handed_off and t.expected_handoff is False][:20],
                missed_handoff_examples=[{"conversation": tr.id, "text": t.text, "decision": t.decision,
                                          "emotion": round(t.emotion, 3)}
                                         for tr, played in replays for t in played
                                         if not t.handed_off and t.expected_handoff][:20])


def _metrics(replays) -> dict:
    """Every number of a set of replayed conversations (all, or one split: ``training.splits``)."""
    turns = [t for _, played in replays for t in played]
    return dict(conversations=len(replays), turns=len(turns), **_labelled(turns), **_rates(replays))


def _labelled(turns: List[ReplayedTurn]) -> dict:
    with_entry = [t for t in turns if t.expected_entry]
    labelled = [t for t in turns if t.expected_handoff is not None]
    predicted = [t for t in labelled if t.handed_off]
    should = [t for t in labelled if t.expected_handoff]
    hits = [t for t in predicted if t.expected_handoff]
    return {
        "turns_with_entry_label": len(with_entry),
        "turn_accuracy": _share(sum(t.decision == "answer" and t.entry_id == t.expected_entry and not t.handed_off
                                    for t in with_entry), len(with_entry)),
        "turns_with_handoff_label": len(labelled),
        "handoff_precision": _share(len(hits), len(predicted)),
        "handoff_recall": _share(len(hits), len(should)),
        "false_handoffs": len(predicted) - len(hits),
        "missed_handoffs": len(should) - len(hits),
    }


def _rates(replays) -> dict:
    turns = [t for _, played in replays for t in played]
    until = [next(n for n, t in enumerate(played, 1) if t.handed_off)
             for _, played in replays if any(t.handed_off for t in played)]
    return {
        "handoff_rate": _share(len(until), len(replays)),
        "turn_fallback_rate": _share(sum(t.decision == "fallback" for t in turns), len(turns)),
        "turn_clarify_rate": _share(sum(t.decision == "clarify" for t in turns), len(turns)),
        "turns_until_handoff_mean": round(mean(until), 2) if until else None,
        "turns_until_handoff_median": median(until) if until else None,
        "rules_fired": dict(Counter(t.routing["rule"] for t in turns if t.handed_off).most_common()),
        "tickets": sum(bool(t.routing and t.routing["ticket"]) for t in turns),
    }


def _share(part: int, whole: int):
    return round(part / whole, 4) if whole else None
