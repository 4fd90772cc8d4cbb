"""One customer across channels: a channel's own id of a person (a WeChat openid) linked to the customer id
the shop knows them by (the widget's ``data-customer-id``), and every conversation of that customer.

The shop links the two once it knows both (a customer signs in on its site through WeChat) with a signed
call; until then a WeChat customer is known by their openid alone.
"""
from __future__ import annotations

import time
from typing import List, Optional

from sqlalchemy import delete, select

from bot.store.conversation_store import ConversationStore, insert_if_new, serialised
from bot.store.schema import customer_links, sessions

MAX_CONVERSATIONS = 20  # the agent sees the customer's most recent ones


class CustomerLinks:
    def __init__(self, store: ConversationStore):
        self.engine = store.engine
        self._lock = store._lock
        self.store = store

    @serialised
    def link(self, channel: str, external_id: str, customer_id: str) -> None:
        """From now on (and for the conversations so far) ``external_id`` on ``channel`` is ``customer_id``."""
        with self.engine.begin() as conn:
            conn.execute(delete(customer_links).where(customer_links.c.channel == channel,
                                                      customer_links.c.external_id == external_id))
            insert_if_new(conn, customer_links, channel=channel, external_id=external_id, customer_id=customer_id,
                          created=time.time())
            conn.execute(sessions.update().where(sessions.c.channel == channel,
                                                 sessions.c.customer_id == external_id).values(customer_id=customer_id))

    @serialised
    def customer_of(self, channel: str, external_id: str) -> Optional[str]:
        query = select(customer_links.c.customer_id).where(customer_links.c.channel == channel,
                                                           customer_links.c.external_id == external_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def conversations(self, session_id: str) -> List[dict]:
        """Every conversation of the customer of ``session_id``, on every channel, oldest first, with what
        was said (the session alone when it names no customer)."""
        session = self.store.session(session_id)
        if session is None:
            return []
        ids = self._sessions_of(session["customer_id"]) if session["customer_id"] else [session]
        return [dict(s, messages=[{k: m[k] for k in ("id", "created", "sender", "text", "author")}
                                  for m in self.store.history(s["id"])]) for s in ids]

    @serialised
    def _sessions_of(self, customer_id: str) -> List[dict]:
        query = select(sessions.c.id, sessions.c.channel, sessions.c.created, sessions.c.customer_id) \
            .where(sessions.c.customer_id == customer_id).order_by(sessions.c.created.desc()).limit(MAX_CONVERSATIONS)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)][::-1]

