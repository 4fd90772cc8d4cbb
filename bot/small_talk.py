"""Small talk never stands in for a business question, nor a business question for small talk.

The ranking treats chit-chat entries (built-in or the KB's own, ``knowledge_base.chitchat``) like any
other, so two things are settled after it:

* a business entry on top: chit-chat candidates are dropped, so "你好" is never a clarify option;
* a chit-chat entry on top of a message that says more ("谢谢 请问怎么退货", "在吗 我的快递到哪了"):
  the message without its small-talk parts — whole clauses, or a greeting or thanks before or after —
  is understood again; if that is a business question the bot would answer or clarify, it wins.
  Otherwise the analysis is marked ``small_talk``: the decision answers the likeliest pleasantry
  instead of offering a menu of them.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from knowledge_base.chitchat import is_chitchat, is_courtesy

from bot.decision import Analysis

_CLAUSES = re.compile(r"[\s,，.。!！?？~～;；、…]+")
MIN_REST_CHARS = 2  # what is left must still say something ("啊" is not a question)
PARTICLES = frozenset("啊呀呢吧嘛哈嘞哦亲啦喔噢嗯滴")  # said around pleasantries: "好嘞 谢谢亲"
PLEASANTRY_SHARE = 0.5  # a message at least this much made of small-talk phrases is a pleasantry


class SmallTalk:
    def __init__(self, entries: Sequence, questions: Sequence[str], owners: Iterable[int]):
        """``questions``: every entry's questions normalised, ``owners``: the entry index of each."""
        self.mask = np.array([is_chitchat(e) for e in entries], dtype=bool)
        self.courtesy = np.array([m and is_courtesy(e) for m, e in zip(self.mask, entries)], dtype=bool)
        self.phrases = frozenset(_bare(q) for q, owner in zip(questions, owners) if self.mask[owner] and _bare(q))
        self._longest = max(map(len, self.phrases), default=0)

    def is_chitchat(self, index: int) -> bool:
        return bool(self.mask[index])

    def settle(self, a: Analysis, understand: Callable[[str], Analysis], answers: Callable[[Analysis], bool]
               ) -> Analysis:
        """``understand``: the bot's analysis of other text; ``answers``: whether it would answer or clarify."""
        if a.refused or len(a.entries) == 0 or not self.mask.any():
            return a
        if not self.mask[a.entries[0]]:
            return self._business_only(a)
        rest = self.business_part(a.text)
        again = understand(rest) if rest is not None else None
        if again is not None and len(again.entries) and not self.mask[again.entries[0]] and answers(again):
            return self._business_only(again)
        return replace(a, small_talk=True, pleasantry=self.share_said(a.text) >= PLEASANTRY_SHARE,
                       courtesy=bool(self.courtesy[a.entries[0]]))

    def share_said(self, text: str) -> float:
        """How much of ``text`` is small-talk phrases and the particles around them ("多谢多谢",
        "解决了 谢谢你 再见"): read left to right, the longest phrase at each place."""
        bare = _bare(text)
        i = covered = 0
        while i < len(bare):
            size = next((n for n in range(min(self._longest, len(bare) - i), 0, -1) if bare[i:i + n] in self.phrases), 0)
            if size == 0 and bare[i] in PARTICLES:
                size = 1
            covered += size
            i += size or 1
        return covered / len(bare) if bare else 0.0

    def business_part(self, text: str) -> Optional[str]:
        """``text`` without its small-talk clauses, leading and trailing; None when nothing else is said."""
        clauses = [c for c in _CLAUSES.split(text) if c]
        while clauses and _bare(clauses[0]) in self.phrases:
            clauses.pop(0)
        while clauses and _bare(clauses[-1]) in self.phrases:
            clauses.pop()
        if clauses:
            clauses[0] = self._without_phrase(clauses[0], leading=True)
            clauses[-1] = self._without_phrase(clauses[-1], leading=False)
        rest = " ".join(c for c in clauses if c)
        return rest if len(_bare(rest)) >= MIN_REST_CHARS and rest != text else None

    def _without_phrase(self, clause: str, leading: bool) -> str:
        """A clause with a small-talk phrase glued on ("谢谢请问怎么退货"): the longest one cut off."""
        for size in range(min(self._longest, len(clause) - MIN_REST_CHARS), 0, -1):
            part, rest = (clause[:size], clause[size:]) if leading else (clause[-size:], clause[:-size])
            if part in self.phrases:
                return rest
        return clause

    def _business_only(self, a: Analysis) -> Analysis:
        keep = ~self.mask[a.entries]
        return replace(a, entries=a.entries[keep], proba=a.proba[keep])


def _bare(text: str) -> str:
    return _CLAUSES.sub("", text)
