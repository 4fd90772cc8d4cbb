"""A conversation's faqbot memory rebuilt from the Rasa tracker, so the component stays stateless.

Each earlier user message's parse data holds what faqbot decided (``parse_data["faqbot"]``); turned
into the rows faqbot's own server keeps, ``bot.service.session_state.restore`` gives the component the same
memory a faqbot server has: the options last shown (typing "2" picks one), the topic for follow-ups
("那运费呢？"), and the turns transfer rules count (two fallbacks in a row, the same question again,
options ignored, emotion rising).
"""
from __future__ import annotations

import json
from typing import Iterable, List, Mapping

from bot.picks import SELECT_PREFIX
from bot.service.chat import ChatSession
from bot.service.session_state import restore

from integrations.rasa.names import PARSE_KEY


def history_rows(parses: Iterable[Mapping]) -> List[dict]:
    """faqbot's conversation rows from the parse data of the conversation's earlier user messages.

    A message faqbot did not decide (another classifier's task intent won, or an intent payload)
    counts like a person taking part: the transfer rules count afresh after it.
    """
    rows: List[dict] = []
    for n, parse in enumerate(parses, 1):
        data = parse.get(PARSE_KEY)
        if not isinstance(data, Mapping) or not data.get("used", True):
            rows.append({"sender": "rasa"})
            continue
        text = SELECT_PREFIX + data["entry_id"] if data.get("picked") and data.get("entry_id") else parse.get("text", "")
        rows.append({"sender": "customer", "text": text, "emotion": data.get("emotion", 0.0)})
        rows.append({"sender": "bot", "id": n, "decision": data.get("decision"), "entry_id": data.get("entry_id"),
                     "details": json.dumps({"handoff": data["handoff"]}) if data.get("handoff") else None,
                     "options": json.dumps([o["id"] for o in data.get("options") or []])})
    return rows


def restored_session(session: ChatSession, parses: Iterable[Mapping]) -> ChatSession:
    restore(session, history_rows(parses))
    return session
