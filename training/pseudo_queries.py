"""Held-out questions made from the KB itself, for learning fusion, confidence and thresholds.

Every example (standard or similar question) is asked twice:
- *in scope*: the example is hidden, its entry stays (needs ≥ 2 questions) — like a new paraphrase;
- *out of scope*: its whole entry is hidden — like a question the KB does not answer.
Entries with a single question get an extra in-scope query: a perturbed copy of that question
(words dropped or swapped), so a KB of standard questions only still has something to learn from.
Some held-out questions are also asked with a homophone typo, as customers type them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from intents.ranker import FusionRanker, Ranking
from knowledge_base.retriever import MASKED, EntryScores, Retriever

BLOCK = 256
SYNTHETIC_WEIGHT = 0.3  # bq-dev-fewshot acc@1 0.288 at weight 1 → 0.303; typo table still passes


@dataclass
class PseudoQueries:
    ranking: Ranking
    expected: np.ndarray  # entry index, or -1 when the entry was hidden (out of scope)
    lengths: np.ndarray  # characters of the query text
    weight: np.ndarray  # how much the fusion ranker learns from each row

    @property
    def in_scope(self) -> np.ndarray:
        return self.expected >= 0


@dataclass
class QuerySet:
    """Queries to score: text, embedding, the example to hide (-1: none), the entry and whether to hide it."""

    texts: List[str]
    embeddings: Optional[np.ndarray]
    hidden_example: np.ndarray
    owner: np.ndarray
    hide_entry: np.ndarray
    weight: float = 1.0  # synthetic queries (typos, rewordings) teach the ranker less than real questions

    def __len__(self) -> int:
        return len(self.texts)


def sample_examples(owners: np.ndarray, limit: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = np.arange(len(owners))
    return np.sort(rng.choice(idx, size=limit, replace=False)) if len(idx) > limit else idx


def typo_queries(retriever: Retriever, texts: Sequence[str], chosen: np.ndarray, typo: Callable[[str], str],
                 embed: Callable[[List[str]], Optional[np.ndarray]], share: float, seed: int) -> QuerySet:
    """Held-out questions with a homophone typo, so a match carried by pinyin is trusted when right."""
    multi = chosen[retriever.counts_[retriever.owners_[chosen]] >= 2]
    sample = np.sort(np.random.default_rng(seed).permutation(multi)[: int(len(multi) * share)])
    typed = [(i, typo(texts[i])) for i in sample]
    typed = [(i, t) for i, t in typed if t != texts[i]]  # no Chinese to misspell: nothing new to learn
    picked = np.array([i for i, _ in typed], dtype=np.int64)
    queries = [t for _, t in typed]
    return QuerySet(queries, embed(queries) if len(queries) else None, picked, retriever.owners_[picked],
                    np.zeros(len(picked), bool), SYNTHETIC_WEIGHT)


def held_out_queries(retriever: Retriever, texts: Sequence[str], embeddings, chosen: np.ndarray) -> QuerySet:
    """Each chosen example as an in-scope query (if its entry has another question) and an OOS query."""
    owners = retriever.owners_[chosen]
    multi = retriever.counts_[owners] >= 2
    ex = np.concatenate([chosen[multi], chosen])
    return QuerySet([texts[i] for i in ex], None if embeddings is None else embeddings[ex], ex,
                    retriever.owners_[ex], np.concatenate([np.zeros(multi.sum(), bool), np.ones(len(chosen), bool)]))


def perturbed_queries(retriever: Retriever, texts: Sequence[str], perturb: Callable[[str], str],
                      embed: Callable[[List[str]], Optional[np.ndarray]]) -> QuerySet:
    """A perturbed copy of the question of every single-question entry, as an in-scope query."""
    singles = np.flatnonzero(retriever.counts_[retriever.owners_] == 1)
    queries = [perturb(texts[i]) for i in singles]
    return QuerySet(queries, embed(queries) if len(queries) else None, np.full(len(singles), -1),
                    retriever.owners_[singles], np.zeros(len(singles), bool), SYNTHETIC_WEIGHT)


def build(retriever: Retriever, ranker: FusionRanker, sets: Sequence[QuerySet], oos_share: float, seed: int,
          progress: Callable[[int], None] = lambda n: None) -> PseudoQueries:
    """Score every query set and return candidate rankings (probabilities filled in later)."""
    rankings, expected, lengths, weights = [], [], [], []
    for qs in sets:
        for start in range(0, len(qs), BLOCK):
            rows = slice(start, start + BLOCK)
            scores = _score_rows(retriever, qs, rows)
            cand = ranker.select(scores)
            features = ranker.features(scores, cand, retriever.counts_)
            rankings.append(Ranking(cand, np.zeros(cand.shape, np.float32), features))
            expected.append(np.where(qs.hide_entry[rows], -1, qs.owner[rows]))
            lengths.append(np.array([len(t) for t in qs.texts[rows]]))
            weights.append(np.full(len(qs.texts[rows]), qs.weight))
            progress(len(qs.texts[rows]))
    merged = Ranking(*(np.concatenate([getattr(r, f) for r in rankings]) for f in ("entries", "proba", "features")))
    data = PseudoQueries(merged, np.concatenate(expected), np.concatenate(lengths), np.concatenate(weights))
    return _balance(data, oos_share, seed)


def _score_rows(retriever: Retriever, qs: QuerySet, rows: slice) -> EntryScores:
    texts = qs.texts[rows]
    emb = None if qs.embeddings is None else qs.embeddings[rows]
    hidden, owners, hide_entry = qs.hidden_example[rows], qs.owner[rows], qs.hide_entry[rows]
    n = len(texts)
    mask = np.zeros((n, len(retriever.owners_)), dtype=bool)
    has_hidden = hidden >= 0
    mask[np.flatnonzero(has_hidden), hidden[has_hidden]] = True
    scores = retriever.score_examples(retriever.example_scores(texts, emb), emb, mask)
    if emb is not None and has_hidden.any():
        r = np.flatnonzero(has_hidden)
        scores.channels["centroid"][r, owners[r]] = _centroid_without(
            retriever, emb[r], retriever.dense.embeddings_[hidden[r]], owners[r])
    excluded = np.zeros((n, retriever.n_entries_), dtype=bool)
    excluded[np.flatnonzero(hide_entry), owners[hide_entry]] = True
    scores.excluded = excluded
    return scores


def _centroid_without(retriever: Retriever, emb: np.ndarray, hidden: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Cosine of the queries to their entry's centroid computed without the hidden examples."""
    rest = retriever.centroid_sums_[owners] - hidden
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
                         data.lengths[keep], data.weight[keep])
