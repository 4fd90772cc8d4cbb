"""``dense.fine_tune`` at training: the KB-specific map over the encoder's vectors (``adapter``) or the
encoder's top layers fine-tuned on the KB (``encoder``).

The fusion, the confidence and the thresholds learn from held-out questions (training.pseudo_queries):
an adapter or encoder that had learned from a question would find it too easily, and the bot would be calibrated
as if customers asked only questions it knows. So the adapter learns without half of each entry's
similar questions (every other one after the standard question), the decision models are calibrated
by asking only those, and the bot serves that same adapter: what was calibrated is what answers.
Measured (docs/benchmarks.md, "Contrastive adapter"): an adapter learned from every question served
with these thresholds answered more often but wrongly more often (wrong-answer rate 0.091 against
0.075 on the realistic messages).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from bot.config import Config
from knowledge_base.adapter import ContrastiveAdapter
from knowledge_base.retriever import Retriever
from knowledge_base.tuned_encoder import TunedEncoder
from training.previous_model import PreviousModel
from training.progress import Progress


@dataclass
class Calibration:
    """What the decision models learn from: a retriever, its questions' vectors, the questions to ask."""

    retriever: Retriever
    embeddings: Optional[np.ndarray]
    askable: Optional[np.ndarray]  # None: every question


@dataclass
class FineTuned:
    retriever: Retriever  # scores with the adapter or tuned encoder, which never saw the askable questions
    askable: np.ndarray
    embeddings: np.ndarray  # every question's vector, mapped
    seconds: float
    kept: bool = False  # the previous model's, kept on a small edit (``kept``)

    @property
    def calibration(self) -> Calibration:
        return Calibration(self.retriever, self.embeddings, self.askable)


def fine_tune(retriever: Retriever, texts: Sequence[str], embeddings: Optional[np.ndarray], config: Config,
              progress: Progress) -> Optional[FineTuned]:
    """The adapter or fine-tuned encoder (``dense.fine_tune``) and the retriever scoring with it; None
    when off or without a dense channel."""
    if config.dense.fine_tune == "off" or retriever.dense is None or embeddings is None:
        return None
    started = time.perf_counter()
    askable = held_out_half(retriever.owners_)
    learn_from = np.flatnonzero(~askable)
    if config.dense.fine_tune == "adapter":
        step = progress.task("fine-tuning the adapter", 1)
        mapping = ContrastiveAdapter(seed=config.ranking.seed).fit(embeddings, retriever.owners_, learn_from)
        step(1)
    else:
        mapping = TunedEncoder(seed=config.ranking.seed)
        step = progress.task("fine-tuning the encoder", mapping.batches_per_fit(retriever.owners_[learn_from]))
        mapping.fit(texts, retriever.owners_, learn_from, step)
    mapped = mapping.mapped(texts, embeddings)
    return FineTuned(retriever.adapted(mapping, mapped), askable, mapped, round(time.perf_counter() - started, 2))


def kept(prior: PreviousModel, retriever: Retriever, texts: Sequence[str], embeddings: Optional[np.ndarray]
         ) -> Optional[FineTuned]:
    """On a small edit (the previous model's decision models are kept: ``training.previous_model``) its
    adapter or tuned encoder is kept too — those models were calibrated on it — and only the questions
    it has not indexed yet go through it: a few new similar questions are answerable in seconds, not
    after a new fine-tuning (demo KB, encoder: 19 s → 2 s, docs/benchmarks.md). None without one."""
    mapping = prior.mapping
    if mapping is None or retriever.dense is None or embeddings is None:
        return None
    started = time.perf_counter()
    known, vectors = prior.mapped_vectors(list(texts))
    mapped = np.empty((len(texts), vectors.shape[1]), np.float32)
    mapped[known] = vectors
    new = np.flatnonzero(~known)
    if len(new):
        mapped[new] = mapping.mapped([texts[i] for i in new], np.asarray(embeddings)[new])
    return FineTuned(retriever.adapted(mapping, mapped), held_out_half(retriever.owners_), mapped,
                     round(time.perf_counter() - started, 2), kept=True)


def held_out_half(owners: np.ndarray) -> np.ndarray:
    """Every other question of each entry after its first (the standard question), and the only question
    of a one-question entry (never an anchor, so never learned as a paraphrase)."""
    owners = np.asarray(owners, np.int64)
    starts = np.searchsorted(owners, owners)  # owners are grouped: the first question of each one's entry
    position = np.arange(len(owners)) - starts
    counts = np.bincount(owners)[owners] if len(owners) else np.zeros(0, np.int64)
    return (position % 2 == 1) | (counts == 1)
