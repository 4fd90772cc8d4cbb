"""Held-out questions made from the KB itself, for learning fusion, confidence and thresholds.

Every example (standard or similar question) is asked twice:
- *in scope*: the example is hidden, its entry stays (needs ≥ 2 questions) — like a new paraphrase;
- *out of scope*: its whole entry is hidden — like a question the KB does not answer.
Entries with a single question get an extra in-scope query: a perturbed copy of that question
(words dropped or swapped), so a KB of standard questions only still has something to learn from.
Some held-out questions are also asked with a homophone typo, as customers type them, and some wrapped in
what customers say around a question (a greeting, their story, thanks) — in scope and out of scope
alike, so that chatter alone neither raises nor lowers confidence.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from intents.ranker import FusionRanker, Ranking
from knowledge_base.entry_scores import EntryScores, Exclusions
from knowledge_base.retriever import Retriever
from knowledge_base.text_keys import stable_number, stable_share

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


def sample_examples(texts: Sequence[str], limit: int, seed: int, purpose: str = "sample") -> np.ndarray:
    """At most ``limit`` of the texts' positions, each kept or not by a number of its own text: the
    sample of a KB with one question more differs by at most that question and the one it displaces."""
    idx = np.arange(len(texts))
    if len(idx) <= limit:
        return idx
    shares = np.array([stable_share(seed, t, purpose) for t in texts])
    return np.sort(np.argsort(shares, kind="stable")[:limit])


def typo_queries(retriever: Retriever, texts: Sequence[str], chosen: np.ndarray, typo: Callable[[str], str],
                 embed: Callable[[List[str]], Optional[np.ndarray]], share: float, seed: int) -> QuerySet:
    """Held-out questions with a homophone typo, so a match carried by pinyin is trusted when right."""
    multi = chosen[retriever.counts_[retriever.owners_[chosen]] >= 2]
    sample = multi[sample_examples([texts[i] for i in multi], int(len(multi) * share), seed, "typo")]
    typed = [(i, typo(texts[i])) for i in sample]
    typed = [(i, t) for i, t in typed if t != texts[i]]  # no Chinese to misspell: nothing new to learn
    picked = np.array([i for i, _ in typed], dtype=np.int64)
    queries = [t for _, t in typed]
    return QuerySet(queries, embed(queries) if len(queries) else None, picked, retriever.owners_[picked],
                    np.zeros(len(picked), bool), SYNTHETIC_WEIGHT)


def chatty_queries(retriever: Retriever, texts: Sequence[str], chosen: np.ndarray, chatter: Callable[[str], str],
                   embed: Callable[[List[str]], Optional[np.ndarray]], share: float) -> QuerySet:
    """A share of the held-out questions wrapped in customers' chatter: in scope (example hidden, where
    the entry has another question) and out of scope (entry hidden). Which ones depends on each question
    alone, so an edit to one entry leaves the others' chatter as it was."""
    picked = np.array([stable_number(texts[i]) % 1000 < share * 1000 for i in chosen], dtype=bool)
    sample = chosen[picked] if len(chosen) else chosen
    multi = sample[retriever.counts_[retriever.owners_[sample]] >= 2]
    ex = np.concatenate([multi, sample])
    queries = retriever.prepare([chatter(texts[i]) for i in ex])  # normalised as a customer's message is
    hide = np.concatenate([np.zeros(len(multi), bool), np.ones(len(sample), bool)])
    return QuerySet(queries, embed(queries) if len(queries) else None, ex, retriever.owners_[ex], hide,
                    SYNTHETIC_WEIGHT)


def held_out_queries(retriever: Retriever, texts: Sequence[str], embeddings, chosen: np.ndarray) -> QuerySet:
    """Each chosen example as an in-scope query (if its entry has another question) and an OOS query."""
    owners = retriever.owners_[chosen]
    multi = retriever.counts_[owners] >= 2
    ex = np.concatenate([chosen[multi], chosen])
    return QuerySet([texts[i] for i in ex], None if embeddings is None else embeddings[ex], ex,
                    retriever.owners_[ex], np.concatenate([np.zeros(multi.sum(), bool), np.ones(len(chosen), bool)]))


def perturbed_queries(retriever: Retriever, texts: Sequence[str], chosen: np.ndarray, perturb: Callable[[str], str],
                      embed: Callable[[List[str]], Optional[np.ndarray]]) -> QuerySet:
    """A perturbed copy of the question of every chosen single-question entry, as an in-scope query."""
    singles = chosen[retriever.counts_[retriever.owners_[chosen]] == 1]
    queries = [perturb(texts[i]) for i in singles]
    return QuerySet(queries, embed(queries) if len(queries) else None, np.full(len(singles), -1),
                    retriever.owners_[singles], np.zeros(len(singles), bool), SYNTHETIC_WEIGHT)


def build(retriever: Retriever, ranker: FusionRanker, sets: Sequence[QuerySet], oos_share: float, seed: int,
          progress: Callable[[int], None] = lambda n: None) -> PseudoQueries:
    """Score every query set and return candidate rankings (probabilities filled in later).

    Out-of-scope rows beyond ``oos_share`` are dropped before scoring: no work is spent on rows the
    models never see."""
    expected = [np.where(qs.hide_entry, -1, qs.owner) for qs in sets]
    texts = [f"{n}\x00{t}" for n, qs in enumerate(sets) for t in qs.texts]
    keep = _balanced(np.concatenate(expected) >= 0 if sets else np.zeros(0, bool), texts, oos_share, seed)
    rankings, kept_expected, lengths, weights = [], [], [], []
    offset = 0
    for qs, exp in zip(sets, expected):
        rows = np.flatnonzero(keep[offset:offset + len(qs)])
        offset += len(qs)
        progress(len(qs) - len(rows))
        for start in range(0, len(rows), BLOCK):
            block = rows[start:start + BLOCK]
            ranking, _ = ranker.candidates_of(_score_rows(retriever, qs, block), retriever.counts_)
            rankings.append(ranking)
            kept_expected.append(exp[block])
            lengths.append(np.array([len(qs.texts[i]) for i in block]))
            weights.append(np.full(len(block), qs.weight))
            progress(len(block))
    merged = Ranking(*(np.concatenate([getattr(r, f) for r in rankings]) for f in ("entries", "proba", "features")))
    return PseudoQueries(merged, np.concatenate(kept_expected), np.concatenate(lengths), np.concatenate(weights))


def _score_rows(retriever: Retriever, qs: QuerySet, rows: np.ndarray) -> EntryScores:
    texts = [qs.texts[i] for i in rows]
    emb = None if qs.embeddings is None else qs.embeddings[rows]
    hidden = Exclusions(qs.hidden_example[rows], np.where(qs.hide_entry[rows], qs.owner[rows], -1))
    return retriever.predict(texts, emb, hidden)


def _balanced(in_scope: np.ndarray, texts: Sequence[str], oos_share: float, seed: int) -> np.ndarray:
    """Rows to keep: every in-scope row, and out-of-scope rows up to ``oos_share`` of all rows — the
    ones whose own text draws the lowest number, so one more question moves the cut by a row or two."""
    n_in = int(in_scope.sum())
    oos = np.flatnonzero(~in_scope)
    allowed = int(round(n_in * oos_share / (1 - oos_share))) if n_in else len(oos)
    if len(oos) <= allowed:
        return np.ones(len(in_scope), bool)
    keep = in_scope.copy()
    shares = np.array([stable_share(seed, texts[i], "out-of-scope") for i in oos])
    keep[oos[np.argsort(shares, kind="stable")[:allowed]]] = True
    return keep
