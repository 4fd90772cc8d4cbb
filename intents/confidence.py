"""Calibrated confidence of a ranking: P(top-1 is right) and P(the right entry is among the options).

Trained on held-out similar questions *and* on questions whose entry was held out entirely, so it
learns what an out-of-scope question looks like for this KB without any labelled traffic.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from intents.logistic import LogisticScorer
from knowledge_base.component import Component


NEAR_TIE = 0.1  # a candidate within this of the channel's best score counts as a near tie


class ConfidenceModel(Component):
    """Fit on ranking features (``features``) and outcomes; ``predict`` gives both probabilities."""

    def __init__(self, options: int = 3):
        self.options = options

    def features(self, proba: np.ndarray, candidate_features: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Per query: the top probabilities and their gaps, the top entry's channel features, length, and
        per channel how many candidates come close to the best — a vague message ("快递") matches many
        entries about equally well.
        """
        n_channels = (candidate_features.shape[2] - 1) // 3  # ranker layout: (score, gap, is-best) per channel
        gaps = candidate_features[:, :, 1:3 * n_channels:3]
        ties = np.log1p((gaps >= -NEAR_TIE).sum(axis=1))
        padded = np.pad(proba, ((0, 0), (0, max(0, 3 - proba.shape[1]))))
        p1, p2, p3 = padded[:, 0], padded[:, 1], padded[:, 2]
        summary = np.stack([p1, p2, p3, p1 - p2, padded[:, : self.options].sum(axis=1),
                            np.log1p(lengths)], axis=1)
        return np.hstack([summary, candidate_features[:, 0], ties]).astype(np.float32)

    def fit(self, X: np.ndarray, top1_right: np.ndarray, in_options: np.ndarray,
            answer_weight: Optional[np.ndarray] = None) -> "ConfidenceModel":
        """``answer_weight``: per row, how much the answer's confidence learns from it (out-of-scope rows
        weighted to the traffic's share of them); the options' confidence learns from every row alike."""
        self.answer_model_ = LogisticScorer().fit(X, top1_right, answer_weight)
        self.options_model_ = LogisticScorer().fit(X, in_options)
        return self

    def predict(self, X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(P(top-1 right), P(right entry among the first ``options`` candidates))."""
        self._require_fitted("answer_model_")
        answer = self.answer_model_.predict_proba(X)
        return answer, np.maximum(self.options_model_.predict_proba(X), answer)

    def save(self, folder: Path) -> None:
        self._require_fitted("answer_model_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "confidence.json").write_text(json.dumps({"options": self.options}))
        self.answer_model_.save(folder / "answer.npz")
        self.options_model_.save(folder / "options.npz")

    @classmethod
    def load(cls, folder: Path) -> "ConfidenceModel":
        model = cls(**json.loads((folder / "confidence.json").read_text()))
        model.answer_model_ = LogisticScorer.load(folder / "answer.npz")
        model.options_model_ = LogisticScorer.load(folder / "options.npz")
        return model
