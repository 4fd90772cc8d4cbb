"""Suggestions from hand-offs: what the customer asked before a person took over, and what the agent
replied — an answer written by someone who knew it, ready to become an entry (or to check one against).

The pairs come from the conversation store (``handoffs`` and the session's messages): the customer's
last question before the hand-off and the agent's first reply after it. Both are masked for personal
data before they are stored as suggestions.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from sqlalchemy import select

from bot.privacy import mask_pii
from bot.store import ConversationStore, handoffs
from bot.store import messages as message_table

from training.mining import is_person_request, minable
from training.suggestion_checks import PairingCheck, key_of

MIN_REPLY_CHARS = 4  # "好的", "稍等" are no answer
SESSION_CHUNK = 500


@dataclass(frozen=True)
class AgentAnswer:
    session_id: str
    question: str
    answer: str
    created: float


def agent_answers(store: ConversationStore, since: Optional[float] = None, limit: int = 5000) -> List[AgentAnswer]:
    """The newest ``limit`` hand-offs with a customer question before them and an agent reply after, oldest first."""
    query = select(handoffs.c.session_id, handoffs.c.created).where(handoffs.c.created >= (since or 0.0)) \
        .order_by(handoffs.c.id.desc()).limit(limit)
    with store.reading() as conn:
        found = list(conn.execute(query))
        said = _messages(conn, sorted({r.session_id for r in found}))
    pairs = []
    for row in found:
        pair = _pair(said.get(row.session_id, []), row.session_id, float(row.created))
        if pair is not None:
            pairs.append(pair)
    return sorted(pairs, key=lambda p: p.created)


def _messages(conn, session_ids: List[str]) -> Dict[str, List[tuple]]:
    by_session: Dict[str, List[tuple]] = defaultdict(list)
    m = message_table
    for start in range(0, len(session_ids), SESSION_CHUNK):
        query = select(m.c.session_id, m.c.sender, m.c.text, m.c.created) \
            .where(m.c.session_id.in_(session_ids[start:start + SESSION_CHUNK]), m.c.sender.in_(("customer", "agent"))) \
            .order_by(m.c.id)
        for r in conn.execute(query):
            by_session[r.session_id].append((r.sender, r.text, float(r.created)))
    return by_session


def _pair(said: List[tuple], session_id: str, handed: float) -> Optional[AgentAnswer]:
    asked = [t for sender, t, at in said if sender == "customer" and at <= handed
             and minable(t) and not is_person_request(t)]
    replies = [t for sender, t, at in said if sender == "agent" and at >= handed and len(t.strip()) >= MIN_REPLY_CHARS]
    if not asked or not replies:
        return None
    return AgentAnswer(session_id, mask_pii(asked[-1].strip()), mask_pii(replies[0].strip()), handed)


def agent_suggestions(pairs: Sequence[AgentAnswer], check: PairingCheck, min_sessions: int = 1) -> List[dict]:
    """One suggestion per question (after normalisation) asked in ``min_sessions`` hand-offs or more: add
    it to the entry whose questions it is close to (the agent's reply shown to compare answers), or a
    new entry with the agent's most recent reply as its answer. Known and vague questions are left out."""
    groups: Dict[str, List[AgentAnswer]] = defaultdict(list)
    prepared = check.bot.retriever.prepare([p.question for p in pairs])
    for pair, text in zip(pairs, prepared):
        if key_of(text):
            groups[key_of(text)].append(pair)
    groups = {k: g for k, g in groups.items() if len({p.session_id for p in g}) >= min_sessions}
    keys = sorted(groups)
    checks = check.check([groups[k][-1].question for k in keys])
    out = []
    for key, judged in zip(keys, checks):
        if judged.known_in is not None or judged.vague:
            continue
        out.append(_item(key, groups[key], judged, check))
    return sorted(out, key=lambda s: (-s["volume"], s["key"]))


def _item(key: str, group: List[AgentAnswer], judged, check: PairingCheck) -> dict:
    nearest, similarity = judged.nearest(check.entry_ids)
    covered = nearest is not None and check.refusal(judged, nearest) is None
    kb = check.bot.kb
    return {"key": hashlib.sha1(key.encode("utf-8")).hexdigest()[:16], "questions": [group[-1].question],
            "action": "add_similar" if covered else "new_entry", "entry_id": nearest if covered else None,
            "entry_question": kb[nearest].question if covered else "", "score": round(judged.confidence, 4),
            "volume": len({p.session_id for p in group}), "answer": group[-1].answer,
            "detail": {"sessions": len({p.session_id for p in group})},
            "evidence": {"similarity": similarity, "closest_entry": nearest,
                         "closest_question": kb[nearest].question if nearest else ""}}
