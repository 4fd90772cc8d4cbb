"""Held-out questions made from the KB itself, for learning fusion, confidence and thresholds.

Every example (standard or similar question) is asked twice:
- *in scope*: the example is hidden, its entry stays (needs ≥ 2 questions) — like a new paraphrase;
- *out of scope*: its whole entry is hidden — like a question the KB does not answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from intents.ranker import FusionRanker, Ranking
from knowledge_base.retriever import MASKED, EntryScores, Retriever

BLOCK = 256


@dataclass
class PseudoQueries:
    ranking: Ranking
    expected: np.ndarray  # entry index, or -1 when the entry was hidden (out of scope)
    lengths: np.ndarray  # characters of the query text

    @property
    def in_scope(self) -> np.ndarray:
        return self.expected >= 0


def sample_examples(owners: np.ndarray, limit: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = np.arange(len(owners))
    return np.sort(rng.choice(idx, size=limit, replace=False)) if len(idx) > limit else idx


def build(retriever: Retriever, ranker: FusionRanker, texts: Sequence[str], embeddings: Optional[np.ndarray],
          example_ids: np.ndarray, oos_share: float, seed: int,
          progress: Callable[[int], None] = lambda n: None) -> PseudoQueries:
    """Score the chosen examples as queries (both variants) and return their candidate rankings."""
    rankings, expected, lengths = [], [], []
    for start in range(0, len(example_ids), BLOCK):
        block = example_ids[start:start + BLOCK]
        inside, outside = _score_block(retriever, texts, embeddings, block)
        owners = retriever.owners_[block]
        keep_in = retriever.counts_[owners] >= 2
        for scores, rows, label in ((inside, keep_in, owners), (outside, np.ones_like(keep_in), -1)):
            ranking = ranker_select(ranker, scores, retriever.counts_, rows)
            rankings.append(ranking)
            expected.append(np.broadcast_to(label, owners.shape)[rows])
            lengths.append(np.array([len(texts[i]) for i in block[rows]]))
        progress(len(block))
    merged = Ranking(*(np.concatenate([getattr(r, f) for r in rankings]) for f in ("entries", "proba", "features")))
    result = PseudoQueries(merged, np.concatenate(expected), np.concatenate(lengths))
    return _balance(result, oos_share, seed)


def ranker_select(ranker: FusionRanker, scores: EntryScores, counts: np.ndarray, rows: np.ndarray) -> Ranking:
    """Candidates and features for the chosen rows, in pre-score order (probabilities filled later)."""
    sub = EntryScores({k: v[rows] for k, v in scores.channels.items()},
                      None if scores.excluded is None else scores.excluded[rows])
    cand = ranker.select(sub)
    features = ranker.features(sub, cand, counts)
    return Ranking(cand, np.zeros(cand.shape, np.float32), features)


def _score_block(retriever: Retriever, texts, embeddings, block: np.ndarray):
    queries = [texts[i] for i in block]
    emb = embeddings[block] if embeddings is not None else None
    example_scores = retriever.example_scores(queries, emb)
    mask = np.zeros((len(block), len(retriever.owners_)), dtype=bool)
    mask[np.arange(len(block)), block] = True
    inside = retriever.score_examples(example_scores, emb, mask)
    owners = retriever.owners_[block]
    if emb is not None:
        inside.channels["centroid"][np.arange(len(block)), owners] = _centroid_without_self(retriever, emb, owners)
    excluded = np.zeros((len(block), retriever.n_entries_), dtype=bool)
    excluded[np.arange(len(block)), owners] = True
    outside = EntryScores(dict(inside.channels), excluded)
    return inside, outside


def _centroid_without_self(retriever: Retriever, emb: np.ndarray, owners: np.ndarray) -> np.ndarray:
    rest = retriever.centroid_sums_[owners] - emb
    norms = np.linalg.norm(rest, axis=1)
    alone = retriever.counts_[owners] < 2
    norms[alone | (norms == 0)] = 1.0
    values = (emb * rest).sum(axis=1) / norms
    return np.where(alone, MASKED, values).astype(np.float32)


def _balance(data: PseudoQueries, oos_share: float, seed: int) -> PseudoQueries:
    """Drop surplus out-of-scope rows so they make up at most ``oos_share`` of all rows."""
    n_in = int(data.in_scope.sum())
    oos = np.flatnonzero(~data.in_scope)
    allowed = int(round(n_in * oos_share / (1 - oos_share))) if n_in else len(oos)
    if len(oos) <= allowed:
        return data
    rng = np.random.default_rng(seed)
    keep = np.sort(np.concatenate([np.flatnonzero(data.in_scope), rng.choice(oos, allowed, replace=False)]))
    r = data.ranking
    return PseudoQueries(Ranking(r.entries[keep], r.proba[keep], r.features[keep]), data.expected[keep],
                         data.lengths[keep])
