"""Learned fusion of the retrieval channels into one ranking of candidate entries.

A plain average of sparse and dense scores is worse than dense alone on real few-shot data, so
the weights are learned: a logistic regression over each channel's score, its gap to the best
entry in that channel, and whether the entry tops that channel — trained on the KB's own
similar questions held out one at a time.
"""
from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass
from typing import Optional, Tuple

import json

import numpy as np

from knowledge_base.component import Component
from knowledge_base.entry_scores import EntryScores

from intents.logistic import LogisticScorer

# Weights of the cheap pre-score that only picks which entries get the full treatment.
PRESCORE_WEIGHTS = {"dense": 1.0, "centroid": 0.5, "words": 0.3, "chars": 0.3, "pinyin": 0.2}
NO_MATCH_GAP = -1.0  # a candidate's gap to the best in a channel where nothing matched (as an excluded one's)
RESOLVED = 2  # at scale, pre-scores made exact for this many times ``candidates`` entries before choosing


@dataclass
class Ranking:
    """Per query: candidate entry indices, match probabilities and features, best first."""

    entries: np.ndarray  # (queries × k) int
    proba: np.ndarray  # (queries × k)
    features: np.ndarray  # (queries × k × features)


class FusionRanker(Component):
    """Fit on candidate features and labels; ``predict`` ranks the candidates of entry scores."""

    def __init__(self, candidates: int = 20, C: float = 1.0):
        self.candidates = candidates
        self.C = C

    def select(self, scores: EntryScores) -> np.ndarray:
        """Column positions (queries × k) of the entries worth ranking, best pre-score first.

        Where some scores are upper bounds, the best ``RESOLVED``·k by pre-score are made exact first."""
        k = min(self.candidates, scores.shape[1])
        if scores.resolve is not None:
            scores.resolve(_top(self._prescore(scores), min(RESOLVED * k, scores.shape[1])))
        return _top(self._prescore(scores), k)

    @staticmethod
    def _prescore(scores: EntryScores) -> np.ndarray:
        pre = sum(PRESCORE_WEIGHTS.get(name, 0.3) * values for name, values in scores.channels.items())
        return pre if scores.excluded is None else np.where(scores.excluded, -np.inf, pre)

    def features(self, scores: EntryScores, columns: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """(queries × k × features): per channel the score, its gap to the best, and 'is best'. A channel
        in which nothing matched the message (every score 0: none of its words is the KB's) is no evidence:
        every candidate is as far from its best as can be (NO_MATCH_GAP) and none tops it — read as a tie at
        the top, "这个有货吗" (no KB word) was answered with price protection at confidence 0.89."""
        parts = []
        for values in scores.channels.values():
            if scores.excluded is not None:
                values = np.where(scores.excluded, -np.inf, values)
            best = values.max(axis=1, keepdims=True)
            picked = np.take_along_axis(values, columns, axis=1)
            matched = best > 0
            parts += [picked, np.where(matched, picked - best, NO_MATCH_GAP),
                      ((picked >= best) & matched).astype(np.float32)]
        parts.append(np.log1p(counts[scores.entry_ids(columns)]).astype(np.float32))
        return np.nan_to_num(np.stack(parts, axis=2), neginf=-1.0, posinf=1.0)

    def candidates_of(self, scores: EntryScores, counts: np.ndarray) -> Tuple[Ranking, Optional[np.ndarray]]:
        """The selected candidates with their features, not yet scored (probabilities 0), and which of
        them are excluded."""
        columns = self.select(scores)
        entries = scores.entry_ids(columns)
        excluded = None if scores.excluded is None else np.take_along_axis(scores.excluded, columns, axis=1)
        return Ranking(entries, np.zeros(entries.shape, np.float32), self.features(scores, columns, counts)), excluded

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: Optional[np.ndarray] = None) -> "FusionRanker":
        if len(np.unique(y)) < 2:
            raise ValueError("FusionRanker needs both matching and non-matching candidates to learn from")
        self.model_ = LogisticScorer(self.C).fit(X, y, sample_weight)
        return self

    def _proba(self, X: np.ndarray) -> np.ndarray:
        """Probability that each (query, candidate) pair is a match; X is (queries × k × features)."""
        self._require_fitted("model_")
        flat = X.reshape(-1, X.shape[-1])
        return self.model_.predict_proba(flat).reshape(X.shape[:2])

    def predict(self, scores: EntryScores, counts: np.ndarray) -> Ranking:
        """The best candidates of entry scores, ordered by match probability; ``counts``: questions per entry."""
        return self.reorder(*self.candidates_of(scores, counts))

    def reorder(self, r: Ranking, excluded: Optional[np.ndarray] = None) -> Ranking:
        """Score candidates and sort them best first; ``excluded`` candidates (queries × k) get probability 0."""
        proba = self._proba(r.features)
        if excluded is not None:
            proba = np.where(excluded, 0.0, proba).astype(np.float32)
        order = np.argsort(-proba, axis=1, kind="stable")
        return Ranking(np.take_along_axis(r.entries, order, axis=1), np.take_along_axis(proba, order, axis=1),
                       np.take_along_axis(r.features, order[:, :, None], axis=1))

    def save(self, folder: Path) -> None:
        self._require_fitted("model_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ranker.json").write_text(json.dumps({"candidates": self.candidates, "C": self.C}))
        self.model_.save(folder / "ranker.npz")

    @classmethod
    def load(cls, folder: Path) -> "FusionRanker":
        ranker = cls(**json.loads((folder / "ranker.json").read_text()))
        ranker.model_ = LogisticScorer.load(folder / "ranker.npz")
        return ranker


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values per row, largest first."""
    top = np.argpartition(-values, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(values, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)
