"""The publish gate's labelled test set, kept beside the draft and curated by trainers.

A case is a customer question and the entry that should answer it (None: the bot must not answer).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

from sqlalchemy import delete, func, insert, select

from bot.store import ConversationStore, kb_test_cases
from training.queries import LabelledQuery, load_queries

from training import audit
from knowledge_base.errors import InvalidInput, NotFound


class TestSet:
    __test__ = False  # not a pytest class

    def __init__(self, store: ConversationStore):
        self.store = store

    def cases(self) -> List[dict]:
        with self.store.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(select(kb_test_cases).order_by(kb_test_cases.c.id))]

    def queries(self) -> List[LabelledQuery]:
        return [LabelledQuery(c["text"], c["expected_id"]) for c in self.cases()]

    def add(self, text: str, expected_id: Optional[str], actor: str, known_ids=None) -> int:
        """``known_ids``: the entries a case may expect (a typo would silently count as a miss)."""
        text = text.strip()
        if not text:
            raise InvalidInput("a test question needs text")
        if expected_id and known_ids is not None and expected_id not in known_ids:
            raise InvalidInput(f"expected_id: no entry {expected_id!r} in the draft")
        with self.store.transaction() as conn:
            case_id = conn.execute(insert(kb_test_cases).values(
                text=text, expected_id=expected_id or None, created=time.time(), created_by=actor[:64])
                .returning(kb_test_cases.c.id)).scalar_one()
            audit.record(conn, actor, "test.add", f"test:{case_id}", {"text": text, "expected_id": expected_id})
        return int(case_id)

    def remove(self, case_id: int, actor: str) -> None:
        with self.store.transaction() as conn:
            if conn.execute(delete(kb_test_cases).where(kb_test_cases.c.id == case_id)).rowcount == 0:
                raise NotFound(f"no test case {case_id}")
            audit.record(conn, actor, "test.remove", f"test:{case_id}")

    def import_file(self, path: Path, actor: str, known_ids=None) -> int:
        """Add every labelled query of a file (JSONL, Rasa test YAML, CSV); a bad file adds nothing."""
        queries = load_queries(path, known_ids)
        with self.store.transaction() as conn:
            now = time.time()
            conn.execute(insert(kb_test_cases), [dict(text=q.text, expected_id=q.expected_id, created=now,
                                                      created_by=actor[:64]) for q in queries])
            audit.record(conn, actor, "test.import", "tests", {"file": str(path), "cases": len(queries)})
        return len(queries)

    def seed(self, path: Optional[str], actor: str = "system", known_ids=None) -> int:
        """Fill an empty test set from ``curation.test_set`` (first start); trainers' cases are left alone."""
        if not path:
            return 0
        with self.store.reading() as conn:
            if conn.execute(select(func.count()).select_from(kb_test_cases)).scalar_one():
                return 0
        return self.import_file(Path(path), actor, known_ids)
