"""Perturbed copies of questions: cheap stand-ins for how customers really type.

- ``reword``: drop about a third of the words, sometimes swap two neighbours;
- ``typo``: replace a character with a common homophone (发票 → 发漂), the typo Chinese IMEs make.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List

import numpy as np

from knowledge_base.text import Segmenter


@lru_cache(maxsize=1)
def _homophones() -> Dict[str, List[str]]:
    """Toneless pinyin → the common (GB2312 level-1) characters that read that way."""
    from pypinyin import Style, lazy_pinyin

    chars = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    groups: Dict[str, List[str]] = {}
    for ch, py in zip(chars, lazy_pinyin(chars, style=Style.NORMAL)):
        groups.setdefault(py, []).append(ch)
    return groups


class Perturber:
    def __init__(self, segmenter: Segmenter, seed: int = 13, drop: float = 0.35):
        self.segmenter = segmenter
        self.rng = np.random.default_rng(seed)
        self.drop = drop

    def reword(self, text: str) -> str:
        words = self.segmenter.predict(text)
        if len(words) < 2:
            return text
        keep = [w for w in words if self.rng.random() >= self.drop]
        if len(keep) == len(words):
            keep.pop(int(self.rng.integers(len(keep))))
        if not keep:
            keep = [words[int(self.rng.integers(len(words)))]]
        if len(keep) > 2 and self.rng.random() < 0.3:
            i = int(self.rng.integers(len(keep) - 1))
            keep[i], keep[i + 1] = keep[i + 1], keep[i]
        return (" " if text.isascii() else "").join(keep)

    def typo(self, text: str) -> str:
        """One homophone substitution (two in longer questions); non-Chinese text is returned as is."""
        from pypinyin import Style, lazy_pinyin

        chars = list(text)
        spots = [i for i, ch in enumerate(chars) if "\u4e00" <= ch <= "\u9fff"]
        if not spots:
            return text
        groups = _homophones()
        for i in self.rng.permutation(spots)[: 1 + (len(spots) > 8)]:
            options = [c for c in groups.get(lazy_pinyin(chars[i], style=Style.NORMAL)[0], []) if c != chars[i]]
            if options:
                chars[i] = options[int(self.rng.integers(len(options)))]
        return "".join(chars)
