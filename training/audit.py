"""The audit log: who changed what in the knowledge base, and when.

Every curation write records its audit row in the same transaction as the change, so the log can
never miss an edit that happened, nor show one that was rolled back.
"""
from __future__ import annotations

import json
import time
from typing import List, Optional

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from bot.store import ConversationStore, audit_log


def record(conn: Connection, actor: str, action: str, target: str, details: Optional[dict] = None) -> None:
    conn.execute(insert(audit_log).values(created=time.time(), actor=actor[:64], action=action, target=target[:255],
                                          details=json.dumps(details or {}, ensure_ascii=False, default=str)))


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
