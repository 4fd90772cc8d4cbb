"""The audit log: who changed what in the knowledge base, and when.

Every curation write records its audit row in the same transaction as the change, so the log can
never miss an edit that happened, nor show one that was rolled back.
"""
from __future__ import annotations

import json
from typing import List, Optional

from sqlalchemy import select

from bot.store import ConversationStore, audit_log
from bot.store.audit_trail import record  # noqa: F401 — curation writes its rows through here


def entries(store: ConversationStore, limit: int = 100, target: Optional[str] = None,
            before: Optional[int] = None) -> List[dict]:
    """Newest first; ``target`` narrows to one entry (or ``kb``, ``version:N`` …)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if target is not None:
        query = query.where(audit_log.c.target == target)
    if before is not None:
        query = query.where(audit_log.c.id < before)
    with store.reading() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["details"] = json.loads(row["details"])
    return rows
