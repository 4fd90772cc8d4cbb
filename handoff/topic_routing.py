"""Where a request for a person goes when it says what it is about ("帮我接售后的人 冰箱不制冷了").

The bot's ranking of the message names the topic: its first candidate that is neither small talk
nor itself a way of asking for a person (an entry like "怎么转人工客服"). The topic's category picks
the skill group through ``handoff.topic_groups`` (category prefix → group, the longest prefix wins);
a topic no prefix maps leaves the rule's own group.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

from knowledge_base.chitchat import is_chitchat
from knowledge_base.entry import Entry

TOPIC_DEPTH = 3  # candidates looked at: further down the ranking is not what the message is about
MIN_TOPIC_SHARE = 0.2  # the topic's match probability, as a share of the first candidate's


def topic_of(candidates: Sequence[Tuple[Entry, float]], asks_for_person: Callable[[str], bool]) -> Optional[Entry]:
    top = max((p for _, p in candidates[:1]), default=0.0)
    for entry, proba in candidates[:TOPIC_DEPTH]:
        if proba < MIN_TOPIC_SHARE * top:
            return None
        if not is_chitchat(entry) and not asks_for_person(entry.question):
            return entry
    return None


def group_for(entry: Entry, topic_groups: Sequence[Tuple[str, str]]) -> Optional[str]:
    """The group of the longest category prefix mapped in ``topic_groups`` ((prefix, group) pairs)."""
    mapped = [(len(prefix), group) for prefix, group in topic_groups if entry.category.startswith(prefix)]
    return max(mapped)[1] if mapped else None
