"""The conversation as the customer's widget showed it, for restoring it after a reload.

The store keeps what was said; the widget showed more: a picked option as the option's question (its
payload is ``/select:<id>``), a clarification's options, an answer's related questions and whether the
customer voted on it, and whether the survey after a hand-off is still open. This view adds those.
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional, Set

from sqlalchemy import select

from bot.picks import SELECT_PREFIX
from bot.store import ConversationStore
from bot.store.schema import attachments, feedback, messages, surveys

SHOWN = ("id", "sender", "text", "decision", "entry_id", "author")


class CustomerHistory:
    """``view(session)``: the session's messages with what the widget needs to draw them again."""

    def __init__(self, store: ConversationStore, kb_of, payload_labels=None):
        """``kb_of()``: the live version's knowledge base (options are drawn from what is live now);
        ``payload_labels(text)``: what a button payload other than a pick showed (None: not one)."""
        self.store, self.kb_of, self.payload_labels = store, kb_of, payload_labels or (lambda text: None)

    def view(self, session_id: str, after: int = 0) -> List[dict]:
        stored = self.store.history(session_id, after)
        votes = self._votes(session_id)
        answered = self._answered_surveys(session_id)
        files = self._attachments(session_id)
        kb = self.kb_of()
        return [dict(self._message(m, kb, votes, answered), **files.get(m["id"], {})) for m in stored]

    def _message(self, m: dict, kb, votes: Dict[int, str], answered: Set[int]) -> dict:
        shown = {k: m[k] for k in SHOWN}
        details = json.loads(m["details"]) if m["details"] else {}
        if m["sender"] == "customer":
            shown["text"] = self._typed(m["text"], kb)
        elif m["sender"] == "bot":
            shown["options"] = _questions(kb, json.loads(m["options"] or "[]")) if m["decision"] == "clarify" else []
            shown["related"] = _questions(kb, details.get("related", [])) if m["decision"] == "answer" else []
            shown["feedback"] = votes.get(m["id"])
        elif m["sender"] == "system" and "survey" in details:
            shown.update(survey=details["survey"], nps=details.get("nps", False),
                         answered=details["survey"] in answered)
        return shown

    def _typed(self, text: str, kb) -> str:
        """A button's payload shown as the button's text, as the widget showed it when it was clicked."""
        label: Optional[str] = self.payload_labels(text)  # a menu button, 转人工
        if label is not None:
            return label
        if text.startswith(SELECT_PREFIX):
            entry = kb.get(text[len(SELECT_PREFIX):])
            return entry.question if entry is not None else text[len(SELECT_PREFIX):]
        return text

    def _votes(self, session_id: str) -> Dict[int, str]:
        """Helpful / not helpful per bot message of the session (the last vote counts)."""
        query = select(feedback.c.message_id, feedback.c.value).join(messages, messages.c.id == feedback.c.message_id) \
            .where(messages.c.session_id == session_id, feedback.c.kind == "helpful").order_by(feedback.c.id)
        with self.store.reading() as conn:
            return {int(r[0]): r[1] for r in conn.execute(query)}

    def _attachments(self, session_id: str) -> Dict[int, dict]:
        """The pictures and files sent, by the message that carried them."""
        query = select(attachments.c.id, attachments.c.message_id, attachments.c.content_type) \
            .where(attachments.c.session_id == session_id)
        with self.store.reading() as conn:
            return {int(r[1]): {"attachment": {"id": int(r[0]), "content_type": r[2]}} for r in conn.execute(query)}

    def _answered_surveys(self, session_id: str) -> Set[int]:
        query = select(surveys.c.id).where(surveys.c.session_id == session_id, surveys.c.answered.is_not(None))
        with self.store.reading() as conn:
            return {int(r[0]) for r in conn.execute(query)}


def _questions(kb, entry_ids: list) -> List[dict]:
    """The offered entries still live, as buttons: a retired one can no longer be picked."""
    entries = [kb.get(i) for i in entry_ids]
    return [{"id": e.id, "question": e.question} for e in entries if e is not None and e.is_live()]
