"""A short message that leans on the conversation's topic ("那运费呢？", "要收钱吗", "what about returns?").

Such a message is read twice — on its own and with the topic's standard question before it — and the
reading that moves the conversation on wins. A follow-up asks something *next to* the topic (安装 → 要收钱吗
→ 安装费): the topic's own entry again is the wrong reading when the message alone says something the bot
understands ("退货的运费谁出" → "那大概几天到账" is the refund, not the parcel).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Collection, Optional, Sequence

import numpy as np

from bot.decision import Analysis, Decision

FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|and |what about |how about )|呢[?？!！。.]*$", re.IGNORECASE)
FOLLOW_UP_MAX_CHARS = 15


def is_follow_up(text: str) -> bool:
    """Worded as a follow-up: 那…, 还有…, …呢."""
    return len(text) <= FOLLOW_UP_MAX_CHARS and bool(FOLLOW_UP.search(text))


def may_lean_on_topic(text: str) -> bool:
    """Short enough to leave its subject out ("多久能到", "要收钱吗")."""
    return len(text) <= FOLLOW_UP_MAX_CHARS


def in_context(alone: Analysis, composed: Callable[[], Analysis], topic: int, worded_as_follow_up: bool,
               decide: Callable[[Analysis], Decision], confident: Callable[[Analysis], bool],
               clarify_threshold: float, related: Collection[int] = ()) -> Analysis:
    """The reading of a short message in a conversation about entry ``topic`` (``decide``: the bot's
    decision on a reading). ``alone`` when it is a confident question of its own and not worded as a
    follow-up; else, answered before asked, the message with the topic when it reaches another entry,
    then the message alone — worded as a follow-up, its own options must reach ``clarify_threshold``, not
    merely be worth a click: options guessed from a few words do not move it off the topic. The topic's
    own entry again only when nothing else helps and the message is worded as a follow-up ("要是已经发了呢"
    is still about the address) — gibberish or an unrelated question ("火星上的天气怎么样") after an answer
    is read alone, not given that answer again. A reading that would offer options, one of them among the
    topic's ``related`` entries (the KB's 关联问题), answers that one: the conversation says which was meant
    ("差价退到哪" after the price-protection answer is where the difference is refunded) — unless the message is a
    bare keyword ("快递" again): a topic is asked about, never guessed."""
    if confident(alone) and not worded_as_follow_up:
        return alone
    with_topic = composed()
    moves_on = len(with_topic.entries) and int(with_topic.entries[0]) != topic
    both = [(with_topic, decide(with_topic)), (alone, decide(alone))]
    readings = both if moves_on else both[1:]
    for reading, decision in readings:
        if decision.kind == "answer":
            return reading
    for reading, decision in both:  # the topic's own entry among the options is no reason to ask
        hit = decision.kind == "clarify" and not alone.keyword and narrowed(reading, decision.picked, related)
        if hit:
            return hit
    for reading, decision in readings:
        guessed = reading is alone and worded_as_follow_up and reading.options_confidence < clarify_threshold
        if decision.kind == "clarify" and not guessed:
            return reading
    return with_topic if worded_as_follow_up else alone


def narrowed(a: Analysis, offered: Sequence[int], related: Collection[int]) -> Optional[Analysis]:
    """``a`` with the one offered candidate that is related to the topic first, marked ``narrowed``; None
    when none or several of the offered candidates are."""
    hits = [i for i in offered if int(a.entries[i]) in related]
    if len(hits) != 1:
        return None
    order = np.array([hits[0], *(i for i in range(len(a.entries)) if i != hits[0])])
    return replace(a, entries=a.entries[order], proba=a.proba[order], narrowed=True)
