"""The KB's own labelled questions (``curation.test_set``) in learning the fusion and the answer's confidence.

Held-out similar questions show how trainers paraphrase an entry; customers write otherwise, and the
confidence learned from trainers' paraphrases alone was timid with them: of the demo bot's answerable
realistic messages at confidence 0.4–0.8, 92–95 % had the right entry first, and most were asked about
instead of answered. A KB's labelled test questions are written as customers write (and questions it
must not answer): the fusion and the confidence learn from them beside the held-out questions, together
weighing ``ranking.labelled_share`` of the held-out rows. A test set that names entries this KB does not have
belongs to another KB and is not used (docs/benchmarks.md, "Calibrated on the KB's labelled questions").
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from bot.config import Config
from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker, Ranking
from knowledge_base.entry_scores import Exclusions
from knowledge_base.retriever import Retriever
from training.queries import QueryFileError, load_queries

MIN_QUESTIONS = 10  # answerable labelled questions needed before they may move the calibration
MIN_KNOWN = 0.9  # share of its answerable questions whose entry this KB has: else another KB's test set


@dataclass(frozen=True)
class LabelledQuestions:
    texts: List[str]
    expected: np.ndarray  # entry index, or -1 for a question the KB must not answer

    @classmethod
    def for_kb(cls, path: Optional[str], ids: Sequence[str]) -> Optional["LabelledQuestions"]:
        """The questions of the JSONL test set ``path`` about the KB whose entries are ``ids`` (in training
        order); None without a file, with too few answerable questions, or when it is another KB's."""
        if not path or not Path(path).exists():
            return None
        try:
            queries = load_queries(path)
        except QueryFileError:
            return None  # `faqbot testset import` and the publish gate report a broken file
        position = {entry: i for i, entry in enumerate(ids)}
        answerable = [q for q in queries if q.expected_id]
        known = [q for q in answerable if q.expected_id in position]
        if len(known) < MIN_QUESTIONS or len(known) < MIN_KNOWN * len(answerable):
            return None
        kept = [q for q in queries if not q.expected_id or q.expected_id in position]
        return cls([q.text for q in kept], np.array([position.get(q.expected_id, -1) for q in kept], np.int64))

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class LabelledRanking:
    """The labelled questions' candidates as the retriever finds them (scored once the fusion is fitted)."""

    candidates: Ranking
    expected: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, labelled: LabelledQuestions, retriever: Retriever, ranker: FusionRanker,
           embed: Callable[[List[str]], Optional[np.ndarray]]) -> "LabelledRanking":
        texts = retriever.prepare(labelled.texts)
        candidates, _ = ranker.candidates_of(retriever.predict(texts, embed(texts), Exclusions()), retriever.counts_)
        return cls(candidates, labelled.expected, np.array([len(t) for t in texts]))

    def fusion_rows(self) -> Tuple[np.ndarray, np.ndarray]:
        """What the fusion learns from the answerable questions: (candidate features, candidate is right)."""
        inside = self.expected >= 0
        features = self.candidates.features[inside]
        return (features.reshape(-1, features.shape[-1]),
                (self.candidates.entries[inside] == self.expected[inside, None]).ravel())

    def confidence_rows(self, ranker: FusionRanker, confidence: ConfidenceModel, options: int):
        """What the confidence learns: (features, top-1 right, right entry among the first ``options``)."""
        ranked = ranker.reorder(self.candidates)
        top1 = ranked.entries[:, 0] == self.expected
        in_options = (ranked.entries[:, :options] == self.expected[:, None]).any(axis=1)
        return confidence.features(ranked.proba, ranked.features, self.lengths), top1, in_options


def joined(rows: Sequence[np.ndarray], weight: np.ndarray, extra: Sequence[np.ndarray], share: float):
    """``rows`` (arrays of one length, weighted ``weight``) followed by the ``extra`` rows, which together
    weigh ``share`` of ``weight``: (the joined arrays, their weights)."""
    each = share * float(weight.sum()) / max(1, len(extra[0]))
    return ([np.concatenate([a, b]) for a, b in zip(rows, extra)],
            np.concatenate([weight, np.full(len(extra[0]), each)]))


def evaluated_honestly(config: Config, *evaluated: Optional[Path]) -> Config:
    """``config`` for evaluating on the ``evaluated`` query files: when one of them is the test set the bot
    would learn from, it does not (a bot calibrated on its test questions would flatter itself)."""
    test_set = config.curation.test_set
    if config.ranking.labelled_share <= 0 or not test_set or not Path(test_set).exists():
        return config
    if any(path and Path(path).exists() and Path(path).resolve() == Path(test_set).resolve() for path in evaluated):
        return replace(config, ranking=replace(config.ranking, labelled_share=0.0))
    return config
