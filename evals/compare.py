"""Several pipelines on the same queries: differences against the first, with bootstrap intervals."""
from __future__ import annotations

from collections.abc import Sequence

from evals.bootstrap import compare, interval_text
from evals.runner import EvalRun

COMPARED = ("accuracy_at_1", "mrr_at_5", "recall_at_5", "answered_correct", "clarify_rate", "clarify_hit",
            "self_service_rate", "wrong_answer_rate", "oos_precision", "oos_recall")
SHOWN = ("n_queries", *COMPARED, "expected_calibration_error", "latency_ms_p50", "latency_ms_p95", "train_seconds")


def differences(runs: dict[str, EvalRun], metrics: Sequence[str] = COMPARED) -> dict[str, dict[str, dict]]:
    """For every run after the first: metric → B − A with its paired bootstrap interval."""
    (_, baseline), *others = runs.items()
    return {name: compare(baseline.outcomes, run.outcomes, metrics) for name, run in others}


def text_table(results: dict[str, dict], diffs: dict[str, dict[str, dict]], keys: Sequence[str] = SHOWN) -> str:
    """A plain table for the terminal: metrics down, runs across, then each difference with its interval."""
    names = list(results)
    header = ["metric", *names, *(f"{n} − {names[0]} [95% CI]" for n in diffs)]
    rows = [header]
    for key in keys:
        row = [key, *("—" if results[n].get(key) is None else str(results[n][key]) for n in names)]
        for d in (by_metric.get(key) for by_metric in diffs.values()):
            row.append("" if d is None else interval_text(d) + (" *" if d["significant"] else ""))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    note = "* the interval excludes 0 (paired bootstrap over queries)" if diffs else ""
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], note]).rstrip() + "\n"
