"""An import planned outside the database's write lock, then written in one short transaction.

A large legal import (100,000 rows) takes many seconds to clean and validate. Done inside the
draft's transaction it held SQLite's write lock — and the store's own lock — all that time, and every
customer message waited for it. Now the draft is read in one short read, the file is cleaned,
validated against it and turned into finished rows with no lock held, and only the writing (one
bulk insert) happens in the transaction. Should a trainer change the draft meanwhile, the revision
has moved: the import is planned again on the new draft (and refused if it keeps moving).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

from knowledge_base.entry import KnowledgeBase


@dataclass
class ImportPlan:
    revision: int  # the draft revision it was planned on: written only if the draft is still there
    rows: List[dict]  # kb_entries rows, ready to insert
    replacing: Optional[List[str]]  # ids whose rows the new ones replace (merge); None: the whole draft
    summary: dict  # added / changed / removed ids


def plan_import(kb: KnowledgeBase, current: Dict[str, dict], revision: int, merge: bool, actor: str,
                clean, validate, record) -> ImportPlan:
    """``current``: the draft's entries by id (with their bookkeeping); ``clean``, ``validate``, ``record``:
    the draft's own rules (training/draft.py), applied here with no lock held."""
    incoming = {e.id: clean(e.to_dict()) for e in kb}
    kept = [e for i, e in current.items() if i not in incoming] if merge else []
    validate([record(e) for e in kept] + list(incoming.values()), kb.source)
    summary = {"added": sorted(set(incoming) - set(current)),
               "changed": sorted(i for i in incoming if i in current and clean(current[i]) != incoming[i]),
               "removed": [] if merge else sorted(set(current) - set(incoming))}
    position = max((e["_position"] for e in current.values()), default=0) + 1 if merge else 1
    now, by = time.time(), actor[:64]
    rows = [dict(id=entry_id, data=json.dumps(data, ensure_ascii=False, sort_keys=True), updated=now, updated_by=by,
                 position=float(position + n),
                 revision=current[entry_id]["_revision"] + 1 if merge and entry_id in current else 1)
            for n, (entry_id, data) in enumerate(incoming.items())]
    return ImportPlan(revision, rows, [i for i in incoming if i in current] if merge else None, summary)
