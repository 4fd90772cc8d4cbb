"""A conversation's working memory rebuilt from the store, so any worker can take its next message.

A worker keeps the options it last showed, the topic and the turns the transfer rules count in
memory. When the store holds messages this worker did not see (another worker answered them, or
this one restarted), that memory is rebuilt from the conversation's history before answering.
"""
from __future__ import annotations

import json
from typing import List, Optional, Tuple

from handoff.turn import Turn
from knowledge_base.text.entities import find_entities

from bot.actions.lookups import Pending
from bot.picks import is_pick
from bot.service.chat import ChatSession
from bot.reply import Option


def restore(session: ChatSession, history: List[dict]) -> Optional[Tuple[int, str]]:
    """Set ``session``'s options, topic, turns, emotion and entities from ``history``; returns the last
    bot message as (id, decision), or None."""
    session.turns, session.choices, session.topic, session.emotion, session.entities = [], [], None, 0.0, []
    session.pending, session.looked_up = None, []
    last_bot, pending = None, None
    for message in history:
        if message["sender"] == "customer":
            pending, session.pending = message, None  # an ask is answered by the message after it, or never
            session.note(find_entities(message["text"]))
        elif message["sender"] == "bot":
            _replayed(session, message, pending, last_bot)
            last_bot, pending = message, None
        else:  # a person or a notice took part: the rules count afresh, as after a hand-off
            session.turns, pending, session.pending = [], None, None
    return (last_bot["id"], last_bot["decision"]) if last_bot else None


def _replayed(session: ChatSession, bot_message: dict, customer: Optional[dict], previous: Optional[dict]) -> None:
    kb = session.bot.kb
    if customer is not None:
        picked = previous is not None and previous["decision"] == "clarify" and is_pick(customer["text"])
        session.emotion = 0.0 if picked else float(customer["emotion"] or 0.0)
        session.turns.append(Turn(customer["text"], bot_message["decision"] or "fallback", bot_message["entry_id"],
                                  picked, session.emotion))
    details = json.loads(bot_message["details"]) if bot_message["details"] else {}
    lookup = details.get("lookup")
    session.pending = Pending.from_dict(lookup)  # asked for an order number: the next message is read for it
    if lookup and lookup.get("outcome") != "asked":
        session.looked_up = (session.looked_up + [lookup])[-5:]
    if details.get("handoff"):  # a transfer rule handed it to a person: counting starts afresh
        session.turns, session.choices = [], []
        return
    entry = kb.get(bot_message["entry_id"]) if bot_message["entry_id"] else None
    if bot_message["decision"] == "clarify":
        offered = json.loads(bot_message["options"] or "[]")
        session.choices = [Option(i, kb[i].question) for i in offered if kb.get(i) is not None]
    elif entry is not None and entry.is_live():
        session.choices = list(session.bot.answer_entry(entry.id, session.channel).related)
    else:
        session.choices = []
    if entry is not None and bot_message["decision"] in ("answer", "handoff"):
        session.topic = entry.id

