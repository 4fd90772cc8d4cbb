"""Who the agent is talking to: the customer's earlier conversations (every channel), their tickets and
ratings — by the host page's customer id — and the agents' internal notes, which are kept apart from
the conversation and never shown to the customer."""
from __future__ import annotations

import time
from typing import List, Optional

from sqlalchemy import func, insert, or_, select

from bot.store import ConversationStore, desk_notes, handoffs, messages, serialised, sessions, surveys
from knowledge_base.errors import InvalidInput

EARLIER = 20  # conversations shown


class CustomerContext:
    def __init__(self, store: ConversationStore):
        self.store = store
        self.engine = store.engine
        self._lock = store._lock

    @serialised
    def earlier(self, customer_id: Optional[str], session_id: str) -> dict:
        """The customer's other conversations (newest first, with their first words and hand-offs) and ratings."""
        if not customer_id:
            return {"conversations": [], "ratings": []}
        first_words = select(messages.c.text).where(messages.c.session_id == sessions.c.id,
                                                    messages.c.sender == "customer") \
            .order_by(messages.c.id).limit(1).scalar_subquery()
        handed = select(func.count()).where(handoffs.c.session_id == sessions.c.id).scalar_subquery()
        query = select(sessions.c.id, sessions.c.channel, sessions.c.created, first_words.label("first"),
                       handed.label("handoffs")) \
            .where(sessions.c.customer_id == customer_id, sessions.c.id != session_id) \
            .order_by(sessions.c.created.desc()).limit(EARLIER)
        rated = select(surveys.c.session_id, surveys.c.created, surveys.c.csat, surveys.c.comment) \
            .join(sessions, sessions.c.id == surveys.c.session_id) \
            .where(sessions.c.customer_id == customer_id, surveys.c.csat.is_not(None)).order_by(surveys.c.id.desc())
        with self.engine.connect() as conn:
            return {"conversations": [dict(r._mapping) for r in conn.execute(query)],
                    "ratings": [dict(r._mapping) for r in conn.execute(rated)]}

    @serialised
    def notes(self, customer_id: Optional[str], session_id: str) -> List[dict]:
        """Notes on this conversation and, for a known customer, on any of theirs."""
        mine = desk_notes.c.session_id == session_id
        query = select(desk_notes).where(or_(mine, desk_notes.c.customer_id == customer_id) if customer_id else mine)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(desk_notes.c.id))]

    @serialised
    def add_note(self, author: str, session_id: str, customer_id: Optional[str], text: str) -> dict:
        if not text.strip():
            raise InvalidInput("note: empty")
        row = dict(created=time.time(), author=author, session_id=session_id, customer_id=customer_id,
                   text=text.strip()[:2000])
        with self.engine.begin() as conn:
            note_id = conn.execute(insert(desk_notes).values(**row).returning(desk_notes.c.id)).scalar_one()
        return dict(row, id=int(note_id))
