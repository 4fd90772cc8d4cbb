"""A short message that leans on the conversation's topic ("那运费呢？", "要收钱吗", "what about returns?").

Such a message is read twice — on its own and with the topic's standard question before it — and the
reading that moves the conversation on wins. A follow-up asks something *next to* the topic (安装 → 要收钱吗
→ 安装费): the topic's own entry again is the wrong reading when the message alone says something the bot
understands ("退货的运费谁出" → "那大概几天到账" is the refund, not the parcel).
"""
from __future__ import annotations

import re
from typing import Callable

from bot.decision import Analysis

FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|and |what about |how about )|呢[?？!！。.]*$", re.IGNORECASE)
FOLLOW_UP_MAX_CHARS = 15


def is_follow_up(text: str) -> bool:
    """Worded as a follow-up: 那…, 还有…, …呢."""
    return len(text) <= FOLLOW_UP_MAX_CHARS and bool(FOLLOW_UP.search(text))


def may_lean_on_topic(text: str) -> bool:
    """Short enough to leave its subject out ("多久能到", "要收钱吗")."""
    return len(text) <= FOLLOW_UP_MAX_CHARS


def in_context(alone: Analysis, composed: Callable[[], Analysis], topic: int, worded_as_follow_up: bool,
               decide: Callable[[Analysis], str], confident: Callable[[Analysis], bool],
               clarify_threshold: float) -> Analysis:
    """The reading of a short message in a conversation about entry ``topic`` (``decide``: the bot's
    decision on a reading). ``alone`` when it is a confident question of its own and not worded as a
    follow-up; else, answered before asked, the message with the topic when it reaches another entry,
    then the message alone — worded as a follow-up, its own options must reach ``clarify_threshold``, not
    merely be worth a click: options guessed from a few words do not move it off the topic. The topic's
    own entry again only when nothing else helps and the message is worded as a follow-up ("要是已经发了呢"
    is still about the address) — gibberish or an unrelated question ("火星上的天气怎么样") after an answer
    is read alone, not given that answer again."""
    if confident(alone) and not worded_as_follow_up:
        return alone
    with_topic = composed()
    moves_on = len(with_topic.entries) and int(with_topic.entries[0]) != topic
    readings = [with_topic, alone] if moves_on else [alone]
    for kind in ("answer", "clarify"):
        for reading in readings:
            guessed = (kind == "clarify" and reading is alone and worded_as_follow_up
                       and reading.options_confidence < clarify_threshold)
            if decide(reading) == kind and not guessed:
                return reading
    return with_topic if worded_as_follow_up else alone
