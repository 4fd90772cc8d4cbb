"""Regression gate: ``--fail-under accuracy_at_1=0.80 --fail-over wrong_answer_rate=0.05``.

A CI job runs ``faqbot eval`` with its floors and ceilings; the command exits 1 with one line per
broken limit, so a pipeline change that costs accuracy stops the merge instead of a later reader.
"""
from __future__ import annotations

from collections.abc import Sequence

from training.metrics import UNDEFINED_WHEN_EMPTY
from knowledge_base.errors import InvalidInput

GATED = ("accuracy_at_1", "mrr_at_5", "recall_at_5", "answered_correct", "clarify_rate", "clarify_hit",
         "self_service_rate", "wrong_answer_rate", *UNDEFINED_WHEN_EMPTY, "expected_calibration_error",
         "latency_ms_p50", "latency_ms_p95", "train_seconds")


class GateSpecError(InvalidInput):
    pass


def parse_limits(specs: Sequence[str], option: str, allowed: Sequence[str] = GATED) -> dict[str, float]:
    """``["accuracy_at_1=0.8", …]`` → ``{"accuracy_at_1": 0.8}``; a typo fails before any training.

    ``allowed``: the metrics the caller's evaluation reports (conversation replay names its own)."""
    limits = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or name not in allowed:
            raise GateSpecError(f"{option} {spec!r}: expected METRIC=VALUE with METRIC one of {list(allowed)}")
        try:
            limits[name] = float(value)
        except ValueError:
            raise GateSpecError(f"{option} {spec!r}: {value!r} is not a number") from None
    return limits


def failures(result: dict, under: dict[str, float], over: dict[str, float], run: str = "") -> list[str]:
    """One message per broken limit (empty: the gate passes)."""
    where = f"{run}: " if run else ""
    messages = []
    for limits, broken, word in ((under, lambda v, x: v < x, "below"), (over, lambda v, x: v > x, "above")):
        for name, limit in limits.items():
            value = result.get(name)
            if value is None:
                messages.append(f"{where}{name} was not measured on these queries (gate {limit})")
            elif broken(value, limit):
                messages.append(f"{where}{name} = {value} is {word} the gate {limit}")
    return messages
