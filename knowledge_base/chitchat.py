"""Built-in small talk — greetings, thanks, goodbyes, "are you a robot" — merged into every knowledge base.

Customers say hello, thank and say goodbye whatever the shop sells; without these intents such
messages fall back or are offered business entries. The intents are data (``builtin/chitchat.yml``,
Chinese and English); the trainer merges them into the KB unless ``chitchat: false``. A KB entry
with the same id overrides an intent (its answer wins, the built-in phrasings are added to its own);
with ``status: retired`` it removes the intent.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Optional

from knowledge_base.entry import Entry, KnowledgeBase

BUILTIN_FILE = Path(__file__).parent / "builtin" / "chitchat.yml"
CATEGORY = "闲聊"  # chit-chat categories start with it, built-in or the KB's own


@lru_cache(maxsize=1)
def builtin_chitchat() -> KnowledgeBase:
    from knowledge_base.loader import load_kb

    return load_kb(BUILTIN_FILE)


def builtin_ids() -> FrozenSet[str]:
    return frozenset(e.id for e in builtin_chitchat())


def is_chitchat(entry: Entry) -> bool:
    """Small talk, not a business question: a built-in intent (or its override) or a 闲聊 category."""
    return entry.id in builtin_ids() or entry.category.split("/")[0] == CATEGORY


def is_closing(entry: Entry) -> bool:
    """Thanks and goodbyes: the customer is done, the conversation ends resolved."""
    return _flagged(entry, "closing")


def is_courtesy(entry: Entry) -> bool:
    """Greetings, thanks, goodbyes, "好的": said wrongly, one costs a smile — unlike small talk that answers
    something the customer said about the bot (are you a robot, praise, criticism)."""
    return _flagged(entry, "courtesy") or is_closing(entry)


def _flagged(entry: Entry, flag: str) -> bool:
    """``metadata.<flag>`` of the entry, or of the built-in intent it overrides."""
    builtin = builtin_chitchat().get(entry.id)
    return bool(entry.metadata.get(flag) or (builtin is not None and builtin.metadata.get(flag)))


def with_chitchat(kb: KnowledgeBase, enabled: bool = True) -> KnowledgeBase:
    """``kb`` with the built-in intents it does not override, and their phrasings added to those it does.
    A phrasing the KB already has under any entry stays the KB's: the KB's own questions always win."""
    if not enabled:
        return kb
    builtin = builtin_chitchat()
    taken = {q.strip() for e in kb for q in e.questions}
    own = [_with_phrasings(e, builtin.get(e.id), taken) for e in kb]
    added = [e for e in (_unclaimed(b, taken) for b in builtin if kb.get(b.id) is None) if e is not None]
    return replace(kb, entries=tuple(own + added))


def _with_phrasings(entry: Entry, builtin, taken) -> Entry:
    if builtin is None:
        return entry
    return replace(entry, similar=entry.similar + tuple(q for q in builtin.questions if q.strip() not in taken))


def _unclaimed(entry: Entry, taken) -> Optional[Entry]:
    """A built-in intent with only the phrasings no KB entry claims (None when nothing is left)."""
    free = [q for q in entry.questions if q.strip() not in taken]
    if not free:
        return None
    return replace(entry, question=free[0], similar=tuple(free[1:]))
