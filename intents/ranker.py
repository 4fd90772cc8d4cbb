"""Learned fusion of the retrieval channels into one ranking of candidate entries.

A plain average of sparse and dense scores is worse than dense alone on real few-shot data, so
the weights are learned: a logistic regression over each channel's score, its gap to the best
entry in that channel, and whether the entry tops that channel — trained on the KB's own
similar questions held out one at a time.
"""
from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass
from typing import Optional

import json

import numpy as np

from knowledge_base.retriever import EntryScores

from .logistic import LogisticScorer

# Weights of the cheap pre-score that only picks which entries get the full treatment.
PRESCORE_WEIGHTS = {"dense": 1.0, "centroid": 0.5, "words": 0.3, "chars": 0.3, "pinyin": 0.2}


@dataclass
class Ranking:
    """Per query: candidate entry indices, match probabilities and features, best first."""

    entries: np.ndarray  # (queries × k) int
    proba: np.ndarray  # (queries × k)
    features: np.ndarray  # (queries × k × features)


class FusionRanker:
    def __init__(self, candidates: int = 20, C: float = 1.0):
        self.candidates = candidates
        self.C = C

    def select(self, scores: EntryScores) -> np.ndarray:
        """Indices (queries × k) of the entries worth ranking, best pre-score first."""
        pre = sum(PRESCORE_WEIGHTS.get(name, 0.3) * values for name, values in scores.channels.items())
        if scores.excluded is not None:
            pre = np.where(scores.excluded, -np.inf, pre)
        k = min(self.candidates, pre.shape[1])
        top = np.argpartition(-pre, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(pre, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)

    def features(self, scores: EntryScores, cand: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """(queries × k × features): per channel the score, its gap to the best, and 'is best'."""
        parts = []
        for values in scores.channels.values():
            if scores.excluded is not None:
                values = np.where(scores.excluded, -np.inf, values)
            best = values.max(axis=1, keepdims=True)
            picked = np.take_along_axis(values, cand, axis=1)
            parts += [picked, picked - best, (picked >= best).astype(np.float32)]
        parts.append(np.log1p(counts[cand]).astype(np.float32))
        return np.nan_to_num(np.stack(parts, axis=2), neginf=-1.0, posinf=1.0)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: Optional[np.ndarray] = None) -> "FusionRanker":
        if len(np.unique(y)) < 2:
            raise ValueError("FusionRanker needs both matching and non-matching candidates to learn from")
        self.model_ = LogisticScorer(self.C).fit(X, y, sample_weight)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability that each (query, candidate) pair is a match; X is (queries × k × features)."""
        flat = X.reshape(-1, X.shape[-1])
        return self.model_.predict_proba(flat).reshape(X.shape[:2])

    def rank(self, scores: EntryScores, counts: np.ndarray) -> Ranking:
        """Candidates re-ordered by match probability."""
        cand = self.select(scores)
        ranking = Ranking(cand, np.zeros(cand.shape, np.float32), self.features(scores, cand, counts))
        return self.reorder(ranking, scores.excluded)

    def reorder(self, r: Ranking, excluded: Optional[np.ndarray] = None) -> Ranking:
        """Score candidates and sort them best first; excluded entries get probability 0."""
        proba = self.predict_proba(r.features)
        if excluded is not None:
            proba = np.where(np.take_along_axis(excluded, r.entries, axis=1), 0.0, proba).astype(np.float32)
        order = np.argsort(-proba, axis=1, kind="stable")
        return Ranking(np.take_along_axis(r.entries, order, axis=1), np.take_along_axis(proba, order, axis=1),
                       np.take_along_axis(r.features, order[:, :, None], axis=1))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ranker.json").write_text(json.dumps({"candidates": self.candidates, "C": self.C}))
        self.model_.save(folder / "ranker.npz")

    @classmethod
    def load(cls, folder: Path) -> "FusionRanker":
        ranker = cls(**json.loads((folder / "ranker.json").read_text()))
        ranker.model_ = LogisticScorer.load(folder / "ranker.npz")
        return ranker
