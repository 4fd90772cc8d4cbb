"""Calibrated confidence of a ranking: P(top-1 is right) and P(the right entry is among the options).

Trained on held-out similar questions *and* on questions whose entry was held out entirely, so it
learns what an out-of-scope question looks like for this KB without any labelled traffic.
"""
from __future__ import annotations

from pathlib import Path
from typing import Tuple

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


class ConfidenceModel:
    def __init__(self, options: int = 3):
        self.options = options

    def features(self, proba: np.ndarray, top_features: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Per query: the top probabilities and their gaps, the top entry's channel features, length."""
        padded = np.pad(proba, ((0, 0), (0, max(0, 3 - proba.shape[1]))))
        p1, p2, p3 = padded[:, 0], padded[:, 1], padded[:, 2]
        summary = np.stack([p1, p2, p3, p1 - p2, padded[:, : self.options].sum(axis=1),
                            np.log1p(lengths)], axis=1)
        return np.hstack([summary, top_features]).astype(np.float32)

    def fit(self, X: np.ndarray, top1_right: np.ndarray, in_options: np.ndarray) -> "ConfidenceModel":
        self.answer_model_ = _fit(X, top1_right)
        self.options_model_ = _fit(X, in_options)
        return self

    def predict(self, X: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(P(top-1 right), P(right entry among the first ``options`` candidates))."""
        answer = _proba(self.answer_model_, X)
        options = np.maximum(_proba(self.options_model_, X), answer)
        return answer, options

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump({"options": self.options, "answer": self.answer_model_, "opts": self.options_model_},
                    folder / "confidence.joblib")

    @classmethod
    def load(cls, folder: Path) -> "ConfidenceModel":
        state = joblib.load(folder / "confidence.joblib")
        model = cls(state["options"])
        model.answer_model_, model.options_model_ = state["answer"], state["opts"]
        return model


def _fit(X: np.ndarray, y: np.ndarray):
    y = np.asarray(y, dtype=int)
    if len(np.unique(y)) < 2:
        return float(y.mean()) if len(y) else 0.0  # constant: nothing to separate
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(X, y)


def _proba(model, X: np.ndarray) -> np.ndarray:
    if isinstance(model, float):
        return np.full(len(X), model, dtype=np.float32)
    return model.predict_proba(X)[:, 1].astype(np.float32)
