"""Targets from config (``handoff.supervision.targets``) against the report's totals: what the dashboard
shows beside each number, and the alerts when one is missed — including the warning that CSAT is not
representative while fewer than half the invited customers answered."""
from __future__ import annotations

from typing import List

from bot.config import TargetsConfig
from handoff.metric_labels import kinds, labels, shown

# metric, target attribute, "min": at least | "max": at most
CHECKS = (("csat", "csat", "min"), ("service_level", "service_level", "min"),
          ("participation_rate", "participation", "min"), ("abandon_rate", "abandon_rate", "max"),
          ("first_response_p50_s", "first_response_p50_s", "max"))


def target_status(totals: dict, targets: TargetsConfig) -> List[dict]:
    """Each target with the value, whether it is met (None: no data yet) and a Chinese sentence."""
    names, how = labels(), kinds()
    out = []
    for metric, attribute, direction in CHECKS:
        goal, value = getattr(targets, attribute), totals.get(metric)
        met = None if value is None else (value >= goal if direction == "min" else value <= goal)
        sign = "≥" if direction == "min" else "≤"
        text = f"{names[metric]} {shown(value, how[metric])}，目标 {sign} {shown(goal, how[metric])}"
        if metric == "participation_rate" and met is False:
            text += "：参与率不足，满意度不具代表性"
        out.append({"metric": metric, "label": names[metric], "value": value, "target": goal, "direction": direction,
                    "met": met, "text": text})
    return out
