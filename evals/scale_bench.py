"""Retrieval at scale: KBs of 1k–1M questions — build time, memory, latency, recall against exact search.

    python -m evals.scale_bench --datasets ../shared/datasets --work /tmp/scale-bench \\
        --sizes 1000,10000,100000 --retrain 100000 --out reports/scale.json

How the KBs and their vectors are made: ``evals.scale_kb``. Per size, in fresh processes (so peak
memory is that size's alone): train the default pipeline and a sparse-only one (``dense.enabled:
false``), then load each and time ``Bot.analyse`` on real customer questions, one at a time, each
encoded afresh; recall@5 compares the top 5 entries (and the dense index's top 5 questions) with
the same bot searching exactly (a flat faiss index). ``--retrain N`` adds 10 entries to the N-question
KB and retrains from the trained N model, three times with 10 new entries each. Results are merged
into ``--out`` (earlier sizes are kept), and the table is printed. ``--probes P --serve-only``
measures the models already trained in ``--work`` again with P IVF groups searched per message
(the trade-off of ``dense.ivf_probes`` between recall and time), stored as "N@P".
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from evals import scale_kb

VARIANTS = {"full": {}, "sparse-only": {"dense.enabled": False}}
REPEATS = 3  # latency passes over the queries (median of each pass's p50 / p99 is reported)
COLUMNS = ["questions", "entries", "index", "probes", "train_s", "train_peak_rss_mb", "serve_rss_mb", "model_mb",
           "full_p50_ms", "full_p99_ms", "sparse_p50_ms", "sparse_p99_ms", "encode_p50_ms", "recall_at_5",
           "dense_recall_at_5"]


def _child(target, *args):
    """Run ``target(*args)`` in a fresh process; its result plus the process's peak resident memory."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measured, (target, *args))


def _measured(target, *args):
    result = target(*args)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def _config(variant: str):
    from bot.config import load_config

    return load_config(Path(__file__).resolve().parent.parent / "config.yml", VARIANTS[variant])


def _train(work: str, n: int, variant: str, kb_name: str, out: str, previous=None) -> dict:
    os.environ["FAQBOT_CACHE"] = str(Path(work) / "cache")
    from knowledge_base.loader import load_kb
    from training.trainer import train

    kb = load_kb(Path(work) / kb_name)
    started = time.perf_counter()
    train(kb, _config(variant), Path(out), show_progress=False, force=previous is None, previous=previous)
    return {"train_s": round(time.perf_counter() - started, 2)}


def _serve(work: str, model: str, texts: list, with_recall: bool, probes=None) -> dict:
    os.environ["FAQBOT_CACHE"] = str(Path(work) / "cache")
    from bot.engine import Bot

    started = time.perf_counter()
    bot = Bot.load(Path(model))
    for index in (bot.retriever.dense, getattr(bot.retriever, "centroid_index_", None)):
        if probes and index is not None:
            index.probes = probes
    result = {"load_s": round(time.perf_counter() - started, 2), "probes": _probes(bot),
              "serve_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    for text in texts[:5]:
        bot.analyse([text])
    passes = [_latencies(bot, texts) for _ in range(REPEATS)]
    result["p50_ms"] = round(statistics.median(np.percentile(p, 50) for p in passes), 2)
    result["p99_ms"] = round(statistics.median(np.percentile(p, 99) for p in passes), 2)
    if bot.retriever.encoder is not None:
        encode = []
        for text in texts:
            started = time.perf_counter()
            bot.retriever.encoder.encode(bot.retriever.prepare([text]))
            encode.append((time.perf_counter() - started) * 1000)
        result["encode_p50_ms"] = round(float(np.median(encode)), 2)
    if with_recall:
        result.update(_recall(bot, texts))
    return result


def _probes(bot):
    """IVF groups searched per message (None: the dense index is exact or absent)."""
    dense = bot.retriever.dense
    return dense.probes if dense is not None and not dense.exact and dense.kind == "ivf" else None


def _latencies(bot, texts) -> list:
    times = []
    for text in texts:
        started = time.perf_counter()
        bot.analyse([text])
        times.append((time.perf_counter() - started) * 1000)
    return times


def _recall(bot, texts) -> dict:
    """Top 5 entries (and the dense index's top 5 questions) of the bot, against the same bot searching
    exactly (flat faiss index, same shortlists) and against scoring every entry (no shortlists)."""
    from knowledge_base.dense_index import DenseIndex

    retriever = bot.retriever
    if retriever.dense is None or retriever.dense.exact:
        return {"recall_at_5": 1.0, "dense_recall_at_5": 1.0}
    vectors = retriever.encoder.encode(retriever.prepare(texts))
    _, found = retriever.dense.search(vectors, 5)
    approximate = _top5(bot, texts)
    retriever.dense = DenseIndex(exact_below=10 ** 12).fit(retriever.dense.embeddings_)
    retriever.centroid_index_ = DenseIndex(exact_below=10 ** 12).fit(retriever.centroids_)
    _, truth = retriever.dense.search(vectors, 5)
    exact = _top5(bot, texts)
    retriever.exhaustive_ = True
    every = _top5(bot, texts)
    return {"recall_at_5": _overlap(approximate, exact), "top1_agreement": _overlap(approximate, exact, 1),
            "recall_at_5_vs_every_entry": _overlap(approximate, every), "dense_recall_at_5": _overlap(found, truth)}


def _top5(bot, texts) -> list:
    return [bot.entry_ids(bot.analyse([t])[0])[:5] for t in texts]


def _overlap(found, truth, k: int = 5) -> float:
    return round(float(np.mean([len(set(list(f)[:k]) & set(list(t)[:k])) / max(1, len(list(t)[:k]))
                                for f, t in zip(found, truth)])), 4)


def measure(args, n: int) -> dict:
    work = args.work
    vectors = scale_kb.ensure_vectors(work, n, args.real_up_to)
    texts = scale_kb.queries(args.datasets, args.queries)
    row = {"questions": n, "vectors": vectors}
    for variant in VARIANTS:
        model = work / f"model-{n}-{variant}"
        trained = _child(_train, str(work), n, variant, f"kb-{n}.jsonl", str(model))
        served = _child(_serve, str(work), str(model), texts, variant == "full")
        manifest = json.loads((model / "manifest.json").read_text())
        prefix = "full" if variant == "full" else "sparse"
        row.update({f"{prefix}_p50_ms": served["p50_ms"], f"{prefix}_p99_ms": served["p99_ms"], "probes": served["probes"],
                    f"{prefix}_train_s": trained["train_s"], f"{prefix}_train_peak_rss_mb": trained["peak_rss_mb"],
                    f"{prefix}_serve_rss_mb": served["serve_rss_mb"], f"{prefix}_load_s": served["load_s"]})
        if variant == "full":
            row.update({k: served[k] for k in ("encode_p50_ms", "recall_at_5", "dense_recall_at_5", "top1_agreement",
                                               "recall_at_5_vs_every_entry") if k in served})
            row.update(entries=manifest["n_entries"],
                       model_mb=round(sum(p.stat().st_size for p in model.rglob("*") if p.is_file()) / 2 ** 20),
                       index="exact" if n < _config("full").dense.index_exact_below else _config("full").dense.index)
    row.update(train_s=row["full_train_s"], train_peak_rss_mb=row["full_train_peak_rss_mb"],
               serve_rss_mb=row["full_serve_rss_mb"])
    return row


def serve_again(args, n: int) -> dict:
    """The full pipeline's latency and recall of the N-question model already trained, with ``--probes``."""
    model = args.work / f"model-{n}-full"
    if not (model / "manifest.json").exists():
        raise SystemExit(f"{model} is not trained yet: run without --serve-only first")
    served = _child(_serve, str(args.work), str(model), scale_kb.queries(args.datasets, args.queries), True,
                    args.probes)
    row = {k: served[k] for k in ("encode_p50_ms", "recall_at_5", "dense_recall_at_5", "top1_agreement",
                                  "recall_at_5_vs_every_entry") if k in served}
    return dict(row, questions=n, probes=args.probes, full_p50_ms=served["p50_ms"], full_p99_ms=served["p99_ms"])


def retrain(args, n: int) -> dict:
    """Add 10 entries to the trained N-question KB and retrain from it, three times (10 new entries each)."""
    work = args.work
    base = (work / f"kb-{n}.jsonl").read_text(encoding="utf-8")
    added = (work / f"added-{n}.jsonl").read_text(encoding="utf-8").splitlines()
    times = []
    for attempt in range(3):
        name = f"kb-{n}-plus10-{attempt}.jsonl"
        (work / name).write_text(base + "".join(line + "\n" for line in added[10 * attempt:10 * attempt + 10]),
                                 encoding="utf-8")
        out = work / f"model-{n}-plus10"
        shutil.rmtree(out, ignore_errors=True)
        times.append(_child(_train, str(work), n, "full", name, str(out), str(work / f"model-{n}-full"))["train_s"])
    manifest = json.loads((work / f"model-{n}-plus10" / "manifest.json").read_text())
    return {"retrain_10_entries_s": times, "retrain_median_s": statistics.median(times),
            "reused_decision_models": "decision_models_reused_from" in manifest["training"]}


def markdown(results: dict) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in sorted(results.values(), key=lambda r: (r["questions"], r.get("probes") or 0)):
        lines.append("| " + " | ".join("" if row.get(c) is None else str(row[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="KBs, models and the benchmark's embedding cache")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--retrain", type=int, default=0, help="also time retraining this size after adding 10 entries")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--real-up-to", type=int, default=100_000, help="questions with real encodings; beyond: derived")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--probes", type=int, help="IVF groups searched per message when serving (default: as trained)")
    ap.add_argument("--serve-only", action="store_true", help="measure the models already in --work again")
    args = ap.parse_args()
    args.work = args.work.resolve()
    os.environ["FAQBOT_CACHE"] = str(args.work / "cache")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    scale_kb.write_kbs(args.datasets, args.work, sorted(set(sizes + [args.real_up_to] + [args.retrain] * bool(args.retrain))))
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.serve_only:
        for n in sizes:
            results[f"{n}@{args.probes}"] = serve_again(args, n)
            print(json.dumps(results[f"{n}@{args.probes}"], ensure_ascii=False), flush=True)
            _write(args.out, results)
        print(markdown(results))
        return
    for n in sizes:
        results[str(n)] = dict(results.get(str(n), {}), **measure(args, n))
        print(json.dumps(results[str(n)], ensure_ascii=False), flush=True)
        _write(args.out, results)
    if args.retrain:
        results[str(args.retrain)] = dict(results.get(str(args.retrain), {}), **retrain(args, args.retrain))
        print(json.dumps(results[str(args.retrain)], ensure_ascii=False), flush=True)
        _write(args.out, results)
    print(markdown(results))


def _write(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
