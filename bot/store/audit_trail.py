"""One audit row: who changed what, written in the same transaction as the change (curation, tickets)."""
from __future__ import annotations

import json
import time
from typing import Optional

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.store.schema import audit_log


def record(conn: Connection, actor: str, action: str, target: str, details: Optional[dict] = None) -> None:
    conn.execute(insert(audit_log).values(created=time.time(), actor=actor[:64], action=action, target=target[:255],
                                          details=json.dumps(details or {}, ensure_ascii=False, default=str)))
