"""Suggestions from traffic waiting for a trainer: mined clusters of unanswered questions and
questions learned from clarify clicks and helpful votes. One step accepts (into the draft) or rejects
one; a decided suggestion never comes back, an open one is refreshed by each new run.
"""
from __future__ import annotations

import json
import re
import time
from typing import Iterable, List, Optional

from sqlalchemy import delete, insert, select, update

from bot.store import ConversationStore, kb_suggestions

from training import audit
from training.draft import Draft
from training.suggestion_reasons import describe
from knowledge_base.errors import Conflict, InvalidInput, NotFound

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
ACTIONS = {ACCEPTED: "suggestion.accept", REJECTED: "suggestion.reject"}


class Suggestions:
    def __init__(self, store: ConversationStore):
        self.store = store
        self.draft = Draft(store)

    def list(self, status: str = OPEN, language: str = "zh") -> List[dict]:
        """Most customers first, each with its ``reason`` in words (``language``: zh | en)."""
        query = select(kb_suggestions).where(kb_suggestions.c.status == status)
        with self.store.reading() as conn:
            rows = [_as_dict(r) for r in conn.execute(query)]
        for row in rows:
            row["reason"] = describe(row, language)
        return sorted(rows, key=lambda s: (-s["volume"], s["id"]))

    def refresh(self, kind: str, items: Iterable[dict]) -> int:
        """Store a run's suggestions of one ``kind`` (mined | learned | handoff): new ones open, open ones updated,
        open ones the run no longer finds dropped, decided ones left as decided. Returns how many are open."""
        items = {f"{kind}:{i['key']}": i for i in items}
        with self.store.transaction() as conn:
            known = {r.key: r.status for r in conn.execute(select(kb_suggestions.c.key, kb_suggestions.c.status)
                                                           .where(kb_suggestions.c.kind == kind))}
            stale = [k for k, status in known.items() if status == OPEN and k not in items]
            if stale:
                conn.execute(delete(kb_suggestions).where(kb_suggestions.c.key.in_(stale)))
            for key, item in items.items():
                payload = json.dumps(_normalised(kind, item), ensure_ascii=False)
                if key not in known:
                    conn.execute(insert(kb_suggestions).values(key=key, kind=kind, created=time.time(), status=OPEN,
                                                               payload=payload))
                elif known[key] == OPEN:
                    conn.execute(update(kb_suggestions).where(kb_suggestions.c.key == key).values(payload=payload))
        return sum(1 for k in items if known.get(k, OPEN) == OPEN)

    def add(self, kind: str, key: str, item: dict) -> int:
        """One suggestion a person made (an agent's wrap-up), open until a trainer decides; its id.
        No run refreshes this kind, so it stays until decided."""
        with self.store.transaction() as conn:
            return int(conn.execute(insert(kb_suggestions).values(
                key=f"{kind}:{key}", kind=kind, created=time.time(), status=OPEN,
                payload=json.dumps(_normalised(kind, item), ensure_ascii=False)).returning(kb_suggestions.c.id))
                .scalar_one())

    def accept(self, suggestion_id: int, actor: str, entry_id: Optional[str] = None,
               questions: Optional[List[str]] = None, answer: str = "", new_id: str = "") -> dict:
        """Into the draft: the questions become similar questions of ``entry_id`` (default: the
        suggested entry), or — for a new-entry suggestion — a new draft entry (published only once the
        trainer has written its answer and set it live). Returns the entry."""
        suggestion = self._open(suggestion_id)
        chosen = [q for q in (questions or suggestion["questions"]) if q.strip()]
        if not chosen:
            raise InvalidInput("choose at least one question")
        target = entry_id or (suggestion["entry_id"] if suggestion["action"] == "add_similar" else None)
        if target:
            entry = self.draft.add_similar(target, chosen, actor)
        else:
            entry = self.draft.save({"id": new_id.strip() or _new_id(suggestion), "question": chosen[0],
                                     "similar": chosen[1:], "answer": answer,
                                     "status": "published" if answer.strip() else "draft"}, actor)
        self._decide(suggestion_id, ACCEPTED, actor, {"entry_id": entry["id"], "questions": chosen})
        return entry

    def reject(self, suggestion_id: int, actor: str) -> None:
        self._open(suggestion_id)
        self._decide(suggestion_id, REJECTED, actor, {})

    def _open(self, suggestion_id: int) -> dict:
        with self.store.reading() as conn:
            row = conn.execute(select(kb_suggestions).where(kb_suggestions.c.id == suggestion_id)).first()
        if row is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        if row.status != OPEN:
            raise Conflict(f"suggestion {suggestion_id} was already {row.status} by {row.decided_by}")
        return _as_dict(row)

    def _decide(self, suggestion_id: int, status: str, actor: str, details: dict) -> None:
        with self.store.transaction() as conn:
            done = conn.execute(update(kb_suggestions)
                                .where(kb_suggestions.c.id == suggestion_id, kb_suggestions.c.status == OPEN)
                                .values(status=status, decided=time.time(), decided_by=actor[:64]))
            if done.rowcount == 0:
                raise Conflict(f"suggestion {suggestion_id} was decided by someone else a moment ago")
            audit.record(conn, actor, ACTIONS[status], f"suggestion:{suggestion_id}", details)


def _normalised(kind: str, item: dict) -> dict:
    """One shape for every kind: what the page shows and what accepting needs."""
    if kind == "learned":
        return {"questions": [item["text"]], "action": "add_similar", "entry_id": item["entry_id"],
                "entry_question": item.get("entry_question", ""), "score": None, "volume": item["sessions"],
                "detail": {k: item.get(k) for k in ("sessions", "clicks", "helpful_votes")},
                "evidence": item.get("evidence") or {}}
    if kind in ("handoff", "agent"):
        return {k: item.get(k) for k in ("questions", "action", "entry_id", "entry_question", "score", "volume",
                                         "answer", "detail", "evidence")}
    suggestion = item["suggestion"]
    return {"questions": list(suggestion["questions"]), "action": suggestion["action"],
            "entry_id": suggestion.get("entry_id"), "entry_question": suggestion.get("entry_question") or "",
            "score": suggestion.get("score"), "volume": item["volume"],
            "detail": {k: item.get(k) for k in ("sessions", "reasons", "examples")},
            "evidence": dict(suggestion.get("evidence") or {}, closest_entry=suggestion.get("closest_entry"),
                             closest_question=suggestion.get("closest_question") or "")}


def _as_dict(row) -> dict:
    data = json.loads(row.payload)
    return dict(data, id=row.id, key=row.key, kind=row.kind, status=row.status, created=row.created,
                decided=row.decided, decided_by=row.decided_by)


def _new_id(suggestion: dict) -> str:
    """A readable id when the trainer gives none: mined_ plus the suggestion's own key."""
    return "mined_" + re.sub(r"[^0-9a-z]", "", suggestion["key"].split(":", 1)[-1].lower())[:10]
