"""Build a large KB + query file from benchmark sets, to check that training and eval scale.

    python -m evals.synthetic --datasets ../shared/datasets --entries 5000 --queries 10000 --out /tmp/big

Every entry of every set is taken once (ids prefixed by the set); copies are added until the KB
has ``--entries`` entries, each copy's questions reworded (words dropped or swapped) so that no
question repeats. Queries are the sets' own labelled queries, mapped to the new ids, sampled with
replacement up to ``--queries``.

``question_stream`` grows a KB by questions instead (``evals.scale_kb``): entries of a fixed size,
each filled with variants of its source entry's questions.
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

import numpy as np

from knowledge_base.loader import load_kb
from knowledge_base.text import Segmenter
from training.perturb import Perturber


PREFIXES = ("请问", "你好，", "您好，请问", "麻烦问下", "我想问一下", "咨询一下", "亲，", "问一下", "客服，", "在吗？")
SUFFIXES = ("呢", "啊", "？", "吗", "，谢谢", "，急", "，在线等", "。", "呀", "！")


def base_entries(kb_files: Sequence[Path]) -> List[dict]:
    """Every entry of the files once (ids prefixed by the set's folder), each question once across all:
    sets share questions (bq-dev-1shot ⊂ bq-dev-fewshot)."""
    base, seen = [], set()
    for path in kb_files:
        for entry in load_kb(path):
            texts = [t for t in dict.fromkeys(entry.questions) if t not in seen]
            if texts:
                seen.update(texts)
                base.append({"id": f"{path.parent.name}:{entry.id}", "question": texts[0], "similar": texts[1:]})
    return base


def build(datasets: Path, n_entries: int, n_queries: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    folders = sorted(p for p in datasets.iterdir() if (p / "kb.jsonl").exists())
    base = base_entries([f / "kb.jsonl" for f in folders])
    seen = {t for e in base for t in [e["question"], *e["similar"]]}
    queries = []
    for folder in folders:
        for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            expected = q.get("expected_id")
            queries.append({"text": q["text"], "expected_id": f"{folder.name}:{expected}" if expected else None})
    perturb = Perturber(Segmenter().fit(), seed=seed, stream=True).reword
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


def question_stream(base: List[dict], per_entry: int = 20, seed: int = 0) -> Iterator[Tuple[dict, List[str]]]:
    """Endless entries of ``per_entry`` distinct questions, with the base question each was made from.

    First every base entry (in a seeded random order) with its own questions, then copies of base
    entries with none of the originals. The rest of each entry are variants of its source's
    questions: one to four of — about a third of the words dropped or two swapped, a homophone typo
    (发票 → 发漂), a polite prefix (请问, 麻烦问下, …), a suffix (呢, ，谢谢, …).
    """
    rng = np.random.default_rng(seed)
    perturber = Perturber(Segmenter().fit(), seed=seed, stream=True)
    seen = {t for e in base for t in [e["question"], *e["similar"]]}
    order = rng.permutation(len(base))
    for copy in itertools.count():
        for i in order:
            source = base[i]
            originals = [source["question"], *source["similar"]]
            texts = list(originals[:per_entry]) if copy == 0 else []
            sources = list(texts)
            for attempt in range(50 * per_entry):
                if len(texts) >= per_entry:
                    break
                origin = originals[attempt % len(originals)]
                text = _variant(origin, perturber, rng)
                if text not in seen:
                    seen.add(text)
                    texts.append(text)
                    sources.append(origin)
            if texts:
                entry_id = source["id"] if copy == 0 else f"copy{copy}:{source['id']}"
                yield {"id": entry_id, "question": texts[0], "similar": texts[1:]}, sources


def _variant(text: str, perturber: Perturber, rng: np.random.Generator) -> str:
    ops = rng.permutation(4)[: 1 + int(rng.integers(4))]
    for op in sorted(ops):
        if op == 0:
            text = perturber.reword(text)
        elif op == 1:
            text = perturber.typo(text)
        elif op == 2:
            text = PREFIXES[int(rng.integers(len(PREFIXES)))] + text
        else:
            text = text + SUFFIXES[int(rng.integers(len(SUFFIXES)))]
    return text


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
