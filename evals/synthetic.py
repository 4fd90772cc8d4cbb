"""Build a large KB + query file from benchmark sets, to check that training and eval scale.

    python -m evals.synthetic --datasets ../shared/datasets --entries 5000 --queries 10000 --out /tmp/big

Every entry of every set is taken once (ids prefixed by the set); copies are added until the KB
has ``--entries`` entries, each copy's questions reworded (words dropped or swapped) so that no
question repeats. Queries are the sets' own labelled queries, mapped to the new ids, sampled with
replacement up to ``--queries``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from knowledge_base.text import Segmenter
from training.perturb import Perturber


def build(datasets: Path, n_entries: int, n_queries: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    base, queries, seen = [], [], set()
    for folder in sorted(p for p in datasets.iterdir() if (p / "kb.jsonl").exists()):
        for line in (folder / "kb.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            texts = [t for t in dict.fromkeys([entry["question"], *entry.get("similar", [])]) if t not in seen]
            if texts:  # sets share questions (bq-dev-1shot ⊂ bq-dev-fewshot): each question once
                seen.update(texts)
                base.append({"id": f"{folder.name}:{entry['id']}", "question": texts[0], "similar": texts[1:]})
        for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            expected = q.get("expected_id")
            queries.append({"text": q["text"], "expected_id": f"{folder.name}:{expected}" if expected else None})
    perturb = Perturber(Segmenter().fit(), seed=seed).reword
    kb = list(base)
    known = {e["id"] for e in base}
    queries = [q for q in queries if q["expected_id"] is None or q["expected_id"] in known]
    attempts = 0
    while len(kb) < n_entries and attempts < 50 * n_entries:  # short questions may have no new rewording
        attempts += 1
        source = base[int(rng.integers(len(base)))]
        texts = [t for t in (perturb(x) for x in [source["question"], *source["similar"]]) if t not in seen]
        if not texts:
            continue
        seen.update(texts)
        kb.append({"id": f"copy{len(kb)}:{source['id']}", "question": texts[0], "similar": texts[1:]})
    picked = rng.integers(len(queries), size=n_queries)
    return kb[:n_entries], [queries[i] for i in picked]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=Path, required=True)
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=10000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    kb, queries = build(args.datasets, args.entries, args.queries)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("kb.jsonl", kb), ("queries.jsonl", queries)):
        with (args.out / name).open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    print(f"wrote {len(kb)} entries and {len(queries)} queries to {args.out}")


if __name__ == "__main__":
    main()
