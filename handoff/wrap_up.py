"""Wrap-up (小结) when an agent closes a conversation: the contact reason from the configured taxonomy
(suggested from the category of the entry the bot matched), whether it was resolved, and a note.
Supervisors count contact reasons; an unresolved wrap-up is a conversation to follow up."""
from __future__ import annotations

import time
from typing import Optional, Sequence

from sqlalchemy import insert, select

from bot.store import ConversationStore, serialised, wrapups
from knowledge_base.errors import Conflict, InvalidInput

OTHER = "其他"


class WrapUps:
    def __init__(self, store: ConversationStore, reasons: Sequence[str]):
        self.store = store
        self.engine = store.engine
        self._lock = store._lock
        self.reasons = tuple(reasons)

    def suggested(self, category: str) -> Optional[str]:
        """The reason naming the category's top level (退货/申请退货 → 退货), else None."""
        top = (category or "").split("/")[0]
        return next((r for r in self.reasons if top and (top.startswith(r) or r.startswith(top))), None)

    @serialised
    def record(self, handoff_id: int, agent_id: Optional[int], reason: str, resolved: bool, note: str = "") -> dict:
        if reason not in self.reasons:
            raise InvalidInput(f"reason {reason!r}: choose one of {list(self.reasons)}")
        row = dict(handoff_id=handoff_id, created=time.time(), agent_id=agent_id, reason=reason,
                   resolved=int(bool(resolved)), note=note.strip()[:2000])
        with self.engine.begin() as conn:
            if conn.execute(select(wrapups.c.handoff_id).where(wrapups.c.handoff_id == handoff_id)).first():
                raise Conflict(f"hand-off {handoff_id} is already wrapped up")
            conn.execute(insert(wrapups).values(**row))
        return dict(row, resolved=bool(resolved))

    @serialised
    def of(self, handoff_id: int) -> Optional[dict]:
        with self.engine.connect() as conn:
            row = conn.execute(select(wrapups).where(wrapups.c.handoff_id == handoff_id)).first()
        return dict(row._mapping, resolved=bool(row.resolved)) if row else None
