"""``faqbot eval --report DIR``: report.json, report.html and the PNG plots of one or more runs.

One run gets the full report; several (``--config a.yml --config b.yml``) get one page side by side
— metrics with bootstrap intervals of each difference, overlaid curves — and each run's detail below.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from training.progress import Progress

from evals import html_report as html
from evals import plots
from evals.calibration import outcome_calibration
from evals.confusion import confused_pairs
from evals.curves import GRID, threshold_sweep, top_k_accuracy
from evals.per_entry import per_entry
from evals.runner import EvalRun

SUMMARY_KEYS = ["n_queries", "n_oos", "accuracy_at_1", "mrr_at_5", "recall_at_5", "answered_correct", "clarify_rate",
                "clarify_hit", "self_service_rate", "wrong_answer_rate", "oos_precision", "oos_recall",
                "expected_calibration_error", "latency_ms_p50", "latency_ms_p95", "train_seconds"]
ENTRY_COLUMNS = [("id", "entry"), ("question", "standard question"), ("support", "support"),
                 ("predicted", "ranked first"), ("precision", "precision"), ("recall", "recall"), ("f1", "F1"),
                 ("answered_wrong", "answered wrongly"), ("clarify_offered", "offered in clarify"),
                 ("clarify_offered_right", "offered and right"), ("worst_queries", "worst queries")]
PAIR_COLUMNS = [("count", "queries"), ("answered_wrong", "answered wrongly"), ("expected", "expected"),
                ("expected_question", "its question"), ("got", "ranked first instead"),
                ("got_question", "its question"), ("examples", "example queries")]


def sections(run: EvalRun, show_progress: bool = False) -> dict:
    """Everything beyond the contract's metrics, as JSON-ready data."""
    questions = {e.id: e.question for e in run.segments[0].bot.kb} if run.segments else {}
    with Progress(show_progress) as progress:
        sweep = threshold_sweep(run.segments, GRID, progress.task("threshold sweep", len(GRID)))
    return {"calibration": outcome_calibration(run.outcomes), "threshold_sweep": sweep,
            "top_k_accuracy": top_k_accuracy(run.outcomes), "confused_pairs": confused_pairs(run.outcomes, questions),
            "per_entry": per_entry(run.outcomes, questions)}


def write_report(runs: dict[str, EvalRun], directory, differences: dict | None = None,
                 title: str = "faqbot evaluation", show_progress: bool = False) -> Path:
    """Write report.json, report.html and plots into ``directory``; returns the HTML's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    detail = {name: sections(run, show_progress) for name, run in runs.items()}
    results = {name: run.result for name, run in runs.items()}
    images = _plots(runs, detail)
    for name, png in images.items():
        (directory / f"{name}.png").write_bytes(png)
    if len(runs) == 1:
        (name, result), = results.items()
        data = {**result, **detail[name], "plots": [f"{n}.png" for n in images]}
        page = _single_page(title, name, result, detail[name], images)
    else:
        data = {"runs": {n: {**results[n], **detail[n]} for n in runs}, "differences": differences or {},
                "baseline": next(iter(runs)), "plots": [f"{n}.png" for n in images]}
        page = _comparison_page(title, results, detail, differences or {}, images)
    (directory / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    (directory / "report.html").write_text(page, encoding="utf-8")
    return directory / "report.html"


def _plots(runs: dict[str, EvalRun], detail: dict[str, dict]) -> dict[str, bytes]:
    images = {}
    for name, run in runs.items():
        prefix = "" if len(runs) == 1 else f"{_slug(name)}-"
        images[f"{prefix}confidence_histogram"] = plots.confidence_histogram(
            run.outcomes, detail[name]["threshold_sweep"]["configured_answer_threshold"])
        images[f"{prefix}calibration"] = plots.calibration_curve(detail[name]["calibration"])
    operating = {n: run.result for n, run in runs.items()}
    images["threshold_sweep"] = plots.threshold_sweep({n: d["threshold_sweep"] for n, d in detail.items()}, operating)
    images["top_k_accuracy"] = plots.top_k_curve({n: d["top_k_accuracy"] for n, d in detail.items()})
    return images


def _run_blocks(name: str, detail: dict, images: dict[str, bytes], prefix: str) -> list:
    own = {k: v for k, v in images.items() if k.startswith(prefix) and k[len(prefix):] in
           ("confidence_histogram", "calibration")}
    return [
        html.section("Confidence and calibration", html.figures(own),
                     note="A calibrated bot's 0.8 is right 80 % of the time; the histogram shows how well the "
                          "answer threshold separates right from wrong."),
        html.section("Most confused entry pairs", html.table(PAIR_COLUMNS, detail["confused_pairs"]),
                     note="In-scope queries whose expected entry lost the first place to another entry."),
        html.section("Per entry", html.table(ENTRY_COLUMNS, [_readable(row) for row in detail["per_entry"]],
                                             table_id=f"entries-{_slug(name)}"),
                     note="Precision / recall / F1 of the ranking's first entry over in-scope queries; click a "
                          "heading to sort. Worst queries: the entry's queries it lost, lowest-ranked first."),
    ]


def _readable(row: dict) -> dict:
    worst = [f"{q['text']} → {q['got']} ({q['decision']}, right entry "
             f"{'at rank ' + str(q['rank']) if q['rank'] else 'not ranked'})" for q in row["worst_queries"]]
    return dict(row, worst_queries=worst)


def _single_page(title: str, name: str, result: dict, detail: dict, images: dict[str, bytes]) -> str:
    blocks = [
        html.section("Summary", html.metrics_table({name: result}, SUMMARY_KEYS),
                     note=f"KB {result.get('kb')} · queries {result.get('queries')} · thresholds "
                          f"{json.dumps(result.get('thresholds'), ensure_ascii=False)}"),
        html.section("Answer threshold and top-k", html.figures(
            {k: images[k] for k in ("threshold_sweep", "top_k_accuracy")}),
            note="The star is the configured operating point; the curve shows where moving the answer "
                 "threshold would take self-service and wrong answers on these queries."),
        *_run_blocks(name, detail, images, ""),
    ]
    return html.page(title, blocks)


def _comparison_page(title: str, results: dict[str, dict], detail: dict[str, dict], differences: dict,
                     images: dict[str, bytes]) -> str:
    blocks = [
        html.section("Side by side", html.metrics_table(results, SUMMARY_KEYS, differences),
                     note=f"Differences against {next(iter(results))} with paired bootstrap 95 % intervals; bold: "
                          "the interval excludes 0."),
        html.section("Answer threshold and top-k", html.figures(
            {k: images[k] for k in ("threshold_sweep", "top_k_accuracy")})),
    ]
    for name in results:
        inner = "".join(_run_blocks(name, detail[name], images, f"{_slug(name)}-"))
        blocks.append(f"<details><summary><h2 style=\"display:inline\">{escape(name)}</h2></summary>{inner}</details>")
    return html.page(title, blocks)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
