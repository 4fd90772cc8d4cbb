"""Perturbed copies of questions: cheap stand-ins for how customers really type.

- ``reword``: drop about a third of the words, sometimes swap two neighbours;
- ``typo``: replace a character with a common homophone (发票 → 发漂), the typo Chinese IMEs make;
- ``chatter``: wrap the question in what customers say around it — a greeting, filler, a piece of their
  story (sometimes several: the 60–150 characters of story real customers write around one question),
  thanks — so confidence is calibrated on messages that look like customers', not like the KB.
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
OPENERS = {"zh": ("你好", "您好", "在吗", "客服你好", "请问", "请问一下", "我想问一下", "麻烦问下", "问一下", "亲", "哈喽",
                  "在么", "你好 在吗", "我想咨询一下", "打扰一下"),
           "en": ("hi", "hello", "hey there", "quick question", "excuse me", "can you tell me", "i want to know")}
# A reply to the bot's last message before the new question: the conversation goes on.
ACKNOWLEDGEMENTS = {"zh": ("好的", "嗯嗯", "是的", "哦", "那", "然后", "对了", "还有", "好的 谢谢", "明白了"),
                    "en": ("ok", "ok thanks", "yes", "right", "and", "also", "got it")}
STORIES = {"zh": ("我昨天刚下的单", "东西今天刚到", "我等了好几天了", "家里人急着用", "我是老顾客了", "之前问过一次没说清楚",
                  "我第一次在这买东西", "朋友推荐我来的", "上周买的", "前天在你们这买了个东西", "我刚才看了一下",
                  "我在外地出差", "给家里老人买的", "这是我第二次问了"),
           "en": ("i ordered last week", "it arrived today", "i've been waiting for days", "i'm a regular customer",
                  "i asked before but didn't get it", "first time buying here", "i bought it for my parents")}
# The longer story customers tell before a question (a few of these make a 60–150 character message): none
# names a product or a shop topic, so any question can follow it.
LONG_STORIES = {"zh": ("我是上个星期在你们这里下的单", "当时页面上写得清清楚楚", "我平时上班忙没时间一直盯着手机",
                       "家里人这几天一直在问我这个事情", "我看了好几遍页面也没找到说明", "之前已经问过一次了但是没说明白",
                       "我也不太懂你们这些流程", "问了身边的朋友他们也不知道", "这个事情拖了好几天了",
                       "本来是打算周末用的", "我特意请了半天假在家等着", "说实话我第一次遇到这种情况",
                       "我是你们好几年的老用户了", "昨天晚上弄到很晚也没弄明白", "我按照页面上的提示一步一步操作的",
                       "现在人在外地不太方便", "是买来送人的", "我不想再来回折腾了"),
                "en": ("i placed the order last week", "the page said it clearly at the time",
                       "i'm busy at work and can't keep checking my phone", "my family keeps asking me about it",
                       "i read the help page twice and found nothing", "i asked once before and it wasn't clear",
                       "i don't really know how this works", "this has been going on for days",
                       "i took half a day off to sort this out", "i've been a customer for years",
                       "i'm travelling at the moment", "it was meant as a gift")}
LONG_SHARE = 0.25  # of chattered questions, those told after a long story (two to four pieces of it)
# An order card pasted from the order page: its fields are numbers the normaliser masks, as in real messages.
CARDS = {"zh": ("订单号：250318998877", "咨询订单号：250318998877 订单金额：299.00 下单时间：2025-03-18",
                "[订单编号：250318998877，订单金额：￥59.90，下单时间：2025-03-18 10:21:05]"),
         "en": ("order #250318998877", "order no. 250318998877")}
PARTICLES = {"zh": ("呢", "啊", "呀", "吧", "嘛", "哈"), "en": ("",)}
CLOSERS = {"zh": ("谢谢", "谢谢啦", "急", "在线等", "麻烦了", "呢", "啊", "？？", "在吗", "快点", "谢谢亲"),
           "en": ("thanks", "thank you", "please", "asap", "??", "anyone there?")}


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
        """The question as customers send it: an opener, a reply to the bot's last message, a piece of their
        story or a pasted order card before it; a particle, a closer or the question again after it.
        Drawn from the text's own seed: adding a question to the KB changes no other question's chatter."""
        rng = text_rng(self.seed, text)
        lang = "en" if text.isascii() else "zh"
        pick = lambda choices: choices[int(rng.integers(len(choices)))]  # noqa: E731
        question = text + pick(PARTICLES[lang]) if rng.random() < 0.2 else text
        before = [pick(kind[lang]) for kind, share in ((OPENERS, 0.5), (ACKNOWLEDGEMENTS, 0.25), (STORIES, 0.4),
                                                       (CARDS, 0.1)) if rng.random() < share]
        if rng.random() < LONG_SHARE:
            story = LONG_STORIES[lang]
            before += [story[i] for i in rng.choice(len(story), int(rng.integers(2, 5)), replace=False)]
        rng.shuffle(before)
        after = [pick(CLOSERS[lang])] if not before or rng.random() < 0.4 else []
        if rng.random() < 0.08:
            after.append(question)  # "能取消吗 订单业务咨询 能取消吗"
        return (" " if lang == "en" else "，").join([*before, question, *after])

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
