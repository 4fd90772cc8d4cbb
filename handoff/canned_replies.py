"""Canned replies (常用语) per skill group: one standard wording for everyone (统一的标准话述).

Trainers (and admins) curate them; agents insert them with the conversation's values filled in:
``{customer_name}``, ``{order_id}`` and ``{agent_name}``. A value the conversation lacks stays as its
placeholder, for the agent to fill in before sending. Every change is audited.
"""
from __future__ import annotations

import re
import time
from typing import Dict, List, Optional, Sequence

from sqlalchemy import delete, insert, select, update

from bot.store import ConversationStore, canned_replies, serialised
from bot.store.audit_trail import record
from knowledge_base.errors import InvalidInput, NotFound

VARIABLES = ("customer_name", "order_id", "agent_name")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CannedReplies:
    def __init__(self, store: ConversationStore, groups: Sequence[str]):
        self.store = store
        self.engine = store.engine
        self._lock = store._lock
        self.groups = tuple(groups)

    @serialised
    def listed(self, groups: Optional[Sequence[str]] = None) -> List[dict]:
        query = select(canned_replies).order_by(canned_replies.c.group, canned_replies.c.title, canned_replies.c.id)
        if groups is not None:
            query = query.where(canned_replies.c.group.in_(list(groups)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    @serialised
    def save(self, group: str, title: str, text: str, actor: str, reply_id: Optional[int] = None) -> dict:
        """A new reply, or (``reply_id``) a changed one."""
        values = self._checked(group, title, text)
        with self.engine.begin() as conn:
            if reply_id is None:
                reply_id = int(conn.execute(insert(canned_replies).values(updated=time.time(), updated_by=actor,
                                                                          **values).returning(canned_replies.c.id))
                               .scalar_one())
            elif conn.execute(update(canned_replies).where(canned_replies.c.id == reply_id)
                              .values(updated=time.time(), updated_by=actor, **values)).rowcount != 1:
                raise NotFound(f"no canned reply {reply_id}")
            record(conn, actor, "canned.save", f"canned:{reply_id}", values)
            return dict(conn.execute(select(canned_replies).where(canned_replies.c.id == reply_id)).first()._mapping)

    @serialised
    def remove(self, reply_id: int, actor: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(delete(canned_replies).where(canned_replies.c.id == reply_id)).rowcount != 1:
                raise NotFound(f"no canned reply {reply_id}")
            record(conn, actor, "canned.delete", f"canned:{reply_id}")

    def _checked(self, group: str, title: str, text: str) -> dict:
        if group not in self.groups:
            raise InvalidInput(f"group {group!r}: choose one of {list(self.groups)}")
        if not title.strip() or not text.strip():
            raise InvalidInput("title and text: both needed")
        unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(VARIABLES))
        if unknown:
            known = ", ".join("{%s}" % v for v in VARIABLES)
            raise InvalidInput(f"text: unknown variable(s) {unknown}; use {known}")
        return {"group": group, "title": title.strip()[:64], "text": text.strip()}


def fill(text: str, values: Dict[str, str]) -> str:
    """``text`` with the variables the conversation knows filled in; the others left for the agent."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1)) or m.group(0)), text)
