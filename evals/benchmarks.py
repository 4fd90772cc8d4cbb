"""Run ``faqbot eval`` over benchmark sets and pipeline variants; print markdown, write JSON.

    python -m evals.benchmarks --datasets ../shared/datasets --out reports/benchmarks.json \
        [--sets bq-dev-fewshot,clinc150-val] [--variants fused,sparse-only,dense-only,no-pinyin]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.config import load_config

from evals.runner import run_eval

VARIANTS = {
    "fused": {},
    "sparse-only": {"dense.enabled": False},
    "dense-only": {"sparse.enabled": False},
    "no-pinyin": {"sparse.pinyin": False},
}
COLUMNS = ["n_queries", "n_oos", "accuracy_at_1", "mrr_at_5", "recall_at_5", "answered_correct", "clarify_rate", "clarify_hit",
           "self_service_rate", "wrong_answer_rate", "oos_precision", "oos_recall", "latency_ms_p50",
           "latency_ms_p95", "train_seconds"]


def discover(datasets: Path, only=None):
    sets = sorted(p for p in datasets.iterdir() if (p / "kb.jsonl").exists() and (p / "queries.jsonl").exists())
    return [p for p in sets if not only or p.name in only]


def markdown(results: dict) -> str:
    lines = ["| set | variant | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for key, r in results.items():
        name, variant = key.split(" · ")
        cells = ["" if r.get(c) is None else f"{r[c]}" for c in COLUMNS]
        lines.append(f"| {name} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_from(path: Path) -> str:
    """The markdown table of a results file written earlier."""
    return markdown(json.loads(path.read_text()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--sets", default="")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for dataset in discover(args.datasets, [s for s in args.sets.split(",") if s]):
        for variant in args.variants.split(","):
            config = load_config(args.config, VARIANTS[variant])
            r = run_eval(dataset / "kb.jsonl", dataset / "queries.jsonl", config, show_progress=False)
            results[f"{dataset.name} · {variant}"] = r
            print(f"{dataset.name} · {variant}: " + json.dumps({c: r.get(c) for c in COLUMNS}), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(markdown(results))


if __name__ == "__main__":
    main()
