"""Sparse retrieval: BM25 over jieba words, character n-grams and pinyin syllables.

Three channels because each catches what the others miss: words carry meaning, character
n-grams survive segmentation errors and unseen words, pinyin survives homophone typos.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import scipy.sparse as sp

from knowledge_base.bm25 import Bm25, count_terms
from knowledge_base.component import Component
from knowledge_base.text import Segmenter, to_pinyin

_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")


def char_ngrams(text: str) -> List[str]:
    """Chinese: characters and character bigrams; other scripts: padded 3-grams inside words."""
    grams: List[str] = []
    for run in _RUNS.findall(text):
        if "\u3400" <= run[0] <= "\u9fff":
            grams.extend(run)
            grams.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            padded = f"<{run}>"
            grams.extend(padded[i:i + 3] for i in range(max(1, len(padded) - 2)))
    return grams


def pinyin_terms(words: List[str]) -> List[str]:
    syllables = to_pinyin(words)
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


class SparseIndex(Component):
    """Fit on normalised example texts; ``predict`` gives one (queries × examples) array per channel."""

    def __init__(self, segmenter: Segmenter, pinyin: bool = True, k1: float = 1.2, b: float = 0.75):
        self.segmenter = segmenter
        self.pinyin = pinyin
        self.k1 = k1
        self.b = b

    @property
    def channels(self) -> List[str]:
        return ["words", "chars"] + (["pinyin"] if self.pinyin else [])

    def analyse(self, texts: Sequence[str]) -> Dict[str, List[List[str]]]:
        # pinyin of what was typed: a synonym's canonical form sounds different
        both = [self.segmenter.content_words_both(t) for t in texts]
        out = {"words": [canonical for canonical, _ in both], "chars": [char_ngrams(t) for t in texts]}
        if self.pinyin:
            out["pinyin"] = [pinyin_terms(typed) for _, typed in both]
        return out

    def fit(self, texts: Sequence[str], previous: Optional["SparseIndex"] = None,
            previous_texts: Sequence[str] = ()) -> "SparseIndex":
        """Index texts; with a ``previous`` index (term counts loaded) over ``previous_texts`` and the same
        segmentation, texts it already holds are not segmented again — only new ones are."""
        rows = np.full(len(texts), -1, dtype=np.int64)
        if previous is not None and self._segments_like(previous):
            row_of = {t: i for i, t in enumerate(previous_texts)}
            rows = np.array([row_of.get(t, -1) for t in texts], dtype=np.int64)
        analysed = self.analyse([t for t, r in zip(texts, rows) if r < 0])
        self.models_ = {}
        for c in self.channels:
            model = Bm25(self.k1, self.b)
            if (rows >= 0).any():
                counts, vocab = _merge_counts(previous.models_[c], rows, analysed[c])
                self.models_[c] = model.fit_counts(counts, vocab)
            else:
                self.models_[c] = model.fit(analysed[c])
        return self

    def _segments_like(self, other: "SparseIndex") -> bool:
        mine, theirs = self.segmenter, other.segmenter
        return (self.pinyin, self.k1, self.b, mine.words_, mine.synonyms_, mine.stop_words_) == (
            other.pinyin, other.k1, other.b, theirs.words_, theirs.synonyms_, theirs.stop_words_)

    def predict(self, texts: Sequence[str]) -> Dict[str, np.ndarray]:
        """Per channel, the dense (queries × examples) score array."""
        self._require_fitted("models_")
        analysed = self.analyse(texts)
        return {c: self.models_[c].predict(analysed[c]) for c in self.channels}

    def dependencies(self) -> Dict[str, Segmenter]:
        return {"segmenter": self.segmenter}

    def save(self, folder: Path) -> None:
        self._require_fitted("models_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sparse.json").write_text(json.dumps({"pinyin": self.pinyin, "k1": self.k1, "b": self.b}))
        for channel, model in self.models_.items():
            model.save(folder / channel)

    @classmethod
    def load(cls, folder: Path, segmenter: Segmenter, counts: bool = False) -> "SparseIndex":
        """A saved index cutting words with ``segmenter``; ``counts`` also reads the term counts (to retrain from)."""
        params = json.loads((folder / "sparse.json").read_text())
        index = cls(segmenter, **params)
        index.models_ = {c: Bm25.load(folder / c, counts) for c in index.channels}
        return index


def _merge_counts(previous: Bm25, rows: np.ndarray, new_docs: List[List[str]]):
    """Term counts of documents that are row ``rows[i]`` of ``previous`` (≥ 0) or, in order, the new docs;
    terms no document uses any more are dropped, so the result scores exactly like a fresh fit."""
    vocab = dict(previous.vocab_)
    new = count_terms(new_docs, vocab)
    kept = previous.counts_[rows[rows >= 0]]
    kept.resize((kept.shape[0], len(vocab)))
    new.resize((new.shape[0], len(vocab)))
    stacked = sp.vstack([kept, new]).tocsr()
    order = np.where(rows >= 0, np.cumsum(rows >= 0) - 1, kept.shape[0] + np.cumsum(rows < 0) - 1)
    counts = stacked[order]
    used = np.unique(counts.indices)
    remap = np.full(len(vocab), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    counts = sp.csr_matrix((counts.data, remap[counts.indices], counts.indptr),
                           shape=(counts.shape[0], max(1, len(used))))
    terms = np.empty(len(vocab), dtype=object)
    terms[list(vocab.values())] = list(vocab)
    return counts, {t: i for i, t in enumerate(terms[used].tolist())}
