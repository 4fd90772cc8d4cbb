"""Perturbed copies of questions: cheap stand-ins for how customers really type.

- ``reword``: drop about a third of the words, sometimes swap two neighbours;
- ``typo``: replace a character with a common homophone (发票 → 发漂), the typo Chinese IMEs make;
- ``chatter``: wrap the question in what customers say around it — a greeting, filler, a piece of their
  story, thanks — so confidence is calibrated on messages that look like customers', not like the KB.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List

import numpy as np

from knowledge_base.text import Segmenter
from knowledge_base.text_keys import text_rng


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


# What customers say around a question, in either language (none of it names a topic of any KB).
OPENERS = {"zh": ("你好", "您好", "在吗", "客服你好", "请问", "请问一下", "我想问一下", "麻烦问下", "问一下", "亲", "哈喽"),
           "en": ("hi", "hello", "hey there", "quick question", "excuse me", "can you tell me", "i want to know")}
STORIES = {"zh": ("我昨天刚下的单", "东西今天刚到", "我等了好几天了", "家里人急着用", "我是老顾客了", "之前问过一次没说清楚",
                  "我第一次在这买东西", "朋友推荐我来的"),
           "en": ("i ordered last week", "it arrived today", "i've been waiting for days", "i'm a regular customer",
                  "i asked before but didn't get it", "first time buying here")}
CLOSERS = {"zh": ("谢谢", "谢谢啦", "急", "在线等", "麻烦了", "呢", "啊", "？？"),
           "en": ("thanks", "thank you", "please", "asap", "??")}


class Perturber:
    """In training every perturbation is drawn from the question's own seed (``text_rng``), never
    from a stream shared by the whole KB: adding a question to one entry changes no other question's
    copies. ``stream=True`` (generators of synthetic KBs, which want a new variant of the same
    question on every call) draws from one seeded stream instead."""

    def __init__(self, segmenter: Segmenter, seed: int = 13, drop: float = 0.35, stream: bool = False):
        self.segmenter = segmenter
        self.seed = seed
        self.drop = drop
        self._stream = np.random.default_rng(seed) if stream else None

    def _rng(self, text: str, purpose: str) -> np.random.Generator:
        return self._stream if self._stream is not None else text_rng(self.seed, text, purpose)

    def reword(self, text: str) -> str:
        words = self.segmenter.predict(text)
        if len(words) < 2:
            return text
        rng = self._rng(text, "reword")
        keep = [w for w in words if rng.random() >= self.drop]
        if len(keep) == len(words):
            keep.pop(int(rng.integers(len(keep))))
        if not keep:
            keep = [words[int(rng.integers(len(words)))]]
        if len(keep) > 2 and rng.random() < 0.3:
            i = int(rng.integers(len(keep) - 1))
            keep[i], keep[i + 1] = keep[i + 1], keep[i]
        return (" " if text.isascii() else "").join(keep)

    def chatter(self, text: str) -> str:
        """The question with an opener or a closer, and sometimes a piece of the customer's story first.
        Drawn from the text's own seed: adding a question to the KB changes no other question's chatter."""
        rng = text_rng(self.seed, text)
        lang = "en" if text.isascii() else "zh"
        pick = lambda choices: choices[int(rng.integers(len(choices)))]  # noqa: E731
        parts = [text]
        if rng.random() < 0.4:
            parts.insert(0, pick(STORIES[lang]))
        if rng.random() < 0.7:
            parts.insert(0, pick(OPENERS[lang]))
        if len(parts) == 1 or rng.random() < 0.4:
            parts.append(pick(CLOSERS[lang]))
        return (" " if lang == "en" else "，").join(parts)

    def typo(self, text: str) -> str:
        """One homophone substitution (two in longer questions); non-Chinese text is returned as is."""
        from pypinyin import Style, lazy_pinyin

        chars = list(text)
        spots = [i for i, ch in enumerate(chars) if "\u4e00" <= ch <= "\u9fff"]
        if not spots:
            return text
        groups = _homophones()
        rng = self._rng(text, "homophone")
        for i in rng.permutation(spots)[: 1 + (len(spots) > 8)]:
            options = [c for c in groups.get(lazy_pinyin(chars[i], style=Style.NORMAL)[0], []) if c != chars[i]]
            if options:
                chars[i] = options[int(rng.integers(len(options)))]
        return "".join(chars)
