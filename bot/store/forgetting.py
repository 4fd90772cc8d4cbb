"""A forgotten customer's sentences, taken out of the tables derived from conversations.

Deleting a customer's conversations (``ConversationStore.forget``) removes the rows that name their
sessions. Their words also travel further without a session id: mined and learned suggestions show
what customers typed (masked), and accepting a suggestion copies the sentences into the audit log.
Those copies are found by the sentence itself — compared after masking, full-width folding,
case and punctuation, as mining shows them — and removed: from every suggestion (one left with no
question is dropped) and from the audit log's details (replaced by FORGOTTEN).

A sentence a trainer already took into the draft knowledge base or the test set is the trainers'
content now; it is counted, not deleted (``in_draft``, ``in_test_set``), so the operator can edit it.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Iterable, Set

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from bot.privacy import mask_pii
from bot.store.schema import audit_log, kb_entries, kb_suggestions, kb_test_cases

FORGOTTEN = "(forgotten on request)"
_NOT_WORD = re.compile(r"[\W_]+")
_AUDITED = ("suggestion.accept", "test.add")  # the audit actions whose details quote customers' sentences


def sentence_key(text: str) -> str:
    """A sentence as mining compares it: masked, NFKC-folded, without case, spaces or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", mask_pii(text.strip()))).casefold()


def forget_sentences(conn: Connection, said: Iterable[str]) -> dict:
    """Remove ``said`` (a customer's messages) from suggestions and the audit log; counts of what changed."""
    keys = {sentence_key(t) for t in said} - {""}
    if not keys:
        return {"suggestions": 0, "audit_entries": 0, "in_draft": 0, "in_test_set": 0}
    return {"suggestions": _suggestions(conn, keys), "audit_entries": _audit(conn, keys),
            "in_draft": sum(1 for (data,) in conn.execute(select(kb_entries.c.data)) if _mentions(data, keys)),
            "in_test_set": sum(1 for (text,) in conn.execute(select(kb_test_cases.c.text))
                               if sentence_key(text) in keys)}


def _suggestions(conn: Connection, keys: Set[str]) -> int:
    changed = 0
    for row in conn.execute(select(kb_suggestions.c.id, kb_suggestions.c.payload)).all():
        payload = json.loads(row.payload)
        kept = [q for q in payload.get("questions", []) if sentence_key(q) not in keys]
        if len(kept) == len(payload.get("questions", [])):
            continue
        changed += 1
        if kept:
            conn.execute(update(kb_suggestions).where(kb_suggestions.c.id == row.id)
                         .values(payload=json.dumps(dict(payload, questions=kept), ensure_ascii=False)))
        else:
            conn.execute(delete(kb_suggestions).where(kb_suggestions.c.id == row.id))
    return changed


def _audit(conn: Connection, keys: Set[str]) -> int:
    changed = 0
    rows = conn.execute(select(audit_log.c.id, audit_log.c.details).where(audit_log.c.action.in_(_AUDITED))).all()
    for row in rows:
        details = json.loads(row.details)
        scrubbed = _scrub(details, keys)
        if scrubbed != details:
            changed += 1
            conn.execute(update(audit_log).where(audit_log.c.id == row.id)
                         .values(details=json.dumps(scrubbed, ensure_ascii=False)))
    return changed


def _scrub(value, keys: Set[str]):
    if isinstance(value, str):
        return FORGOTTEN if sentence_key(value) in keys else value
    if isinstance(value, list):
        return [_scrub(v, keys) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, keys) for k, v in value.items()}
    return value


def _mentions(entry_json: str, keys: Set[str]) -> bool:
    entry = json.loads(entry_json)
    return any(sentence_key(q) in keys for q in [entry.get("question", ""), *entry.get("similar", [])])
