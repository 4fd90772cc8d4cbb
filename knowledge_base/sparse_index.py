"""Sparse retrieval: BM25 over jieba words, character n-grams and pinyin syllables.

Three channels because each catches what the others miss: words carry meaning, character
n-grams survive segmentation errors and unseen words, pinyin survives homophone typos.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from .bm25 import Bm25
from .text import Segmenter, to_pinyin

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


class SparseIndex:
    """Fit on normalised example texts; ``scores`` gives one (queries × examples) array per channel."""

    def __init__(self, segmenter: Segmenter, pinyin: bool = True, k1: float = 1.2, b: float = 0.75):
        self.segmenter = segmenter
        self.pinyin = pinyin
        self.k1 = k1
        self.b = b

    @property
    def channels(self) -> List[str]:
        return ["words", "chars"] + (["pinyin"] if self.pinyin else [])

    def analyse(self, texts: Sequence[str]) -> Dict[str, List[List[str]]]:
        out = {"words": [self.segmenter.content_words(t) for t in texts], "chars": [char_ngrams(t) for t in texts]}
        if self.pinyin:  # pinyin of what was typed: a synonym's canonical form sounds different
            out["pinyin"] = [pinyin_terms(self.segmenter.content_words(t, synonyms=False)) for t in texts]
        return out

    def fit(self, texts: Sequence[str]) -> "SparseIndex":
        analysed = self.analyse(texts)
        self.models_ = {c: Bm25(self.k1, self.b).fit(analysed[c]) for c in self.channels}
        return self

    def query_matrices(self, texts: Sequence[str]):
        analysed = self.analyse(texts)
        return {c: self.models_[c].query_matrix(analysed[c]) for c in self.channels}

    def scores(self, texts: Sequence[str]) -> Dict[str, np.ndarray]:
        return {c: self.models_[c].scores(m) for c, m in self.query_matrices(texts).items()}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sparse.json").write_text(json.dumps({"pinyin": self.pinyin, "k1": self.k1, "b": self.b}))
        for channel, model in self.models_.items():
            model.save(folder, channel)

    @classmethod
    def load(cls, folder: Path, segmenter: Segmenter) -> "SparseIndex":
        params = json.loads((folder / "sparse.json").read_text())
        index = cls(segmenter, **params)
        index.models_ = {c: Bm25.load(folder, c) for c in index.channels}
        return index
