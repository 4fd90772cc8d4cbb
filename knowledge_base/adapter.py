"""A KB-specific linear map over frozen sentence vectors, learned from the KB's own similar questions.

The frozen encoder puts paraphrases of one entry close, but also close to the questions of other
entries on the same topic ("how do I cancel my card" / "… my order"). The adapter is ``v + W v``
(``W`` starts at zero: the identity), L2-normalised, trained with a contrastive loss (InfoNCE, in-batch
negatives, scale ``scale``): an anchor question must be nearer to another question of its entry than
to every other question in the batch, and to its hardest negative (the nearest question of another
entry under the frozen vectors). Two questions of one entry are never each other's negative.

Why a map and not a fine-tuned encoder: it trains in seconds on 2 cores, serves as one matrix
product (no torch at run time), and a retraining needs no new encoder (docs/benchmarks.md,
"Contrastive adapter (issue 18)"). Training imports torch; ``predict`` is numpy only.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from knowledge_base.component import Component
from knowledge_base.contrastive import anchors_of, batches_of, positives_of
from knowledge_base.encoders import normalise

HARD_NEGATIVE_CHOICES = 3  # each epoch an anchor meets one of its this-many nearest other-entry questions
SIMILARITY_ROWS = 2048  # rows of the question × question similarity held at a time


class ContrastiveAdapter(Component):
    """``fit(vectors, owners)`` learns the map from the KB's questions; ``predict(vectors)`` applies it."""

    def __init__(self, epochs: int = 4, batch_size: int = 64, learning_rate: float = 1e-3, scale: float = 20.0,
                 weight_decay: float = 0.01, seed: int = 13):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.scale = scale
        self.weight_decay = weight_decay
        self.seed = seed

    def params(self) -> dict:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "scale": self.scale, "weight_decay": self.weight_decay, "seed": self.seed}

    # -- learning -------------------------------------------------------------------------------
    def fit(self, vectors: np.ndarray, owners: np.ndarray, learn_from: Optional[np.ndarray] = None
            ) -> "ContrastiveAdapter":
        """Learn from the questions ``learn_from`` (indexes into ``vectors``; default all): the others are
        kept out of training entirely, so they can stand for questions the adapter never saw."""
        import torch

        vectors = np.asarray(vectors, np.float32)
        owners = np.asarray(owners, np.int64)
        if vectors.ndim != 2 or len(vectors) != len(owners):
            raise ValueError(f"vectors {vectors.shape} and owners ({len(owners)}) must have one row per question")
        if self.epochs < 0 or self.batch_size < 2:
            raise ValueError(f"epochs must be ≥ 0 and batch_size ≥ 2, got {self.epochs} and {self.batch_size}")
        rows = np.arange(len(owners)) if learn_from is None else np.sort(np.asarray(learn_from, np.int64))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small matrices: a second thread only waits on a busy machine (5x slower measured)
        try:
            self._train(torch, vectors[rows], owners[rows])
        finally:
            torch.set_num_threads(threads)
        self.trained_on_ = int(len(rows))
        return self

    def _train(self, torch, x: np.ndarray, own: np.ndarray) -> None:
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        weight = torch.zeros((x.shape[1], x.shape[1]), dtype=torch.float32, requires_grad=True)
        optimiser = torch.optim.AdamW([weight], lr=self.learning_rate, weight_decay=self.weight_decay)
        anchors = anchors_of(own)
        negatives = _hard_negatives(x, own)
        data, owner_t = torch.from_numpy(x), torch.from_numpy(own)
        for _ in range(self.epochs if len(anchors) else 0):
            for batch in batches_of(rng.permutation(anchors), self.batch_size):
                positives = positives_of(batch, own, rng)
                hard = negatives[batch, rng.integers(0, negatives.shape[1], len(batch))]
                loss = self._loss(weight, data, owner_t, torch.from_numpy(batch), torch.from_numpy(positives),
                                  torch.from_numpy(hard))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.weight_ = weight.detach().numpy().copy()

    def _loss(self, weight, data, owners, anchors, positives, hard):
        """InfoNCE: each anchor's own positive against the batch's other positives and hard negatives,
        where none of those may belong to the anchor's entry."""
        import torch

        mapped = lambda ids: torch.nn.functional.normalize(data[ids] + data[ids] @ weight.T, dim=1)  # noqa: E731
        a, candidates = mapped(anchors), mapped(torch.cat([positives, hard]))
        logits = self.scale * a @ candidates.T
        same = owners[anchors][:, None] == owners[torch.cat([positives, hard])][None, :]
        own_positive = torch.zeros_like(same)
        own_positive[torch.arange(len(anchors)), torch.arange(len(anchors))] = True
        logits = logits.masked_fill(same & ~own_positive, float("-inf"))
        return torch.nn.functional.cross_entropy(logits, torch.arange(len(anchors)))

    # -- using ----------------------------------------------------------------------------------
    def predict(self, vectors: np.ndarray) -> np.ndarray:
        """The mapped, unit-length vectors."""
        self._require_fitted("weight_")
        vectors = np.asarray(vectors, np.float32)
        return normalise(vectors + vectors @ self.weight_.T)

    def mapped(self, texts, vectors: np.ndarray) -> np.ndarray:
        """What the retriever's index holds for the encoder's ``vectors`` (the texts are not needed)."""
        return self.predict(vectors)

    def save(self, folder: Path) -> None:
        self._require_fitted("weight_")
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "weight.npy", self.weight_)
        (folder / "adapter.json").write_text(json.dumps(dict(self.params(), trained_on=self.trained_on_)))

    @classmethod
    def load(cls, folder: Path) -> "ContrastiveAdapter":
        params = json.loads((folder / "adapter.json").read_text())
        trained_on = params.pop("trained_on")
        adapter = cls(**params)
        adapter.weight_ = np.load(folder / "weight.npy")
        adapter.trained_on_ = trained_on
        return adapter


def _hard_negatives(x: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Per question, its nearest questions of other entries under the frozen vectors."""
    k = max(1, min(HARD_NEGATIVE_CHOICES, len(x) - 1))
    found = np.zeros((len(x), k), np.int64)
    for start in range(0, len(x), SIMILARITY_ROWS):
        sims = x[start:start + SIMILARITY_ROWS] @ x.T
        sims[owners[start:start + SIMILARITY_ROWS, None] == owners[None, :]] = -np.inf
        found[start:start + SIMILARITY_ROWS] = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return found
