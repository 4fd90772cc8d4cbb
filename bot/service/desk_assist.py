"""What helps an agent answer and close: the knowledge base searched as the bot searches it, the bot's
best candidates for the customer's latest message (with this channel's answer), canned replies with
the conversation's values filled in, the customer's history and internal notes, and the wrap-up — whose
"save as knowledge suggestion" turns what the customer asked and what the agent answered into a
suggestion for the trainers (隐性知识转化为显性知识)."""
from __future__ import annotations

import hashlib
from typing import List, Optional

from bot.privacy import mask_pii
from handoff.canned_replies import CannedReplies, fill
from handoff.customer_context import CustomerContext
from handoff.wrap_up import WrapUps
from knowledge_base.errors import InvalidInput
from training.mining import is_person_request
from training.suggestions import Suggestions

SHOWN = 5
NAME_ATTRIBUTES = ("customer_name", "name", "nickname")
WRAP_UP_SUGGESTION = "agent"  # the kind of suggestion an agent saves at wrap-up


class DeskAssist:
    def __init__(self, conversations, reasons):
        self.conversations = conversations  # bot.service.conversations.Conversations
        store = conversations.store
        self.canned = CannedReplies(store, conversations.desk.groups)
        self.context = CustomerContext(store)
        self.wrapups = WrapUps(store, reasons)
        self.suggestions = Suggestions(store)

    # -- answering ------------------------------------------------------------------------------
    def search(self, query: str, channel: str = "default", limit: int = SHOWN) -> List[dict]:
        """The entries the bot's own retrieval ranks first for ``query``, with their answers for ``channel``."""
        bot = self.conversations.bot
        a = bot.understand(query)
        if a.refused:
            return []
        found = []
        for entry_id, score in zip(bot.entry_ids(a)[:limit], a.proba[:limit]):
            entry = bot.kb[entry_id]
            found.append({"id": entry.id, "question": entry.question, "category": entry.category,
                          "answer": entry.answer_for(channel, bot.language_of(query)), "score": round(float(score), 4)})
        return found

    def candidates(self, handoff: dict) -> dict:
        """The bot's candidates for the customer's latest message in this conversation."""
        said = [m for m in self.conversations.store.history(handoff["session_id"]) if m["sender"] == "customer"]
        latest = said[-1]["text"] if said else ""
        return {"text": latest, "candidates": self.search(latest, handoff["channel"]) if latest else []}

    def canned_for(self, handoff: dict, agent: dict) -> List[dict]:
        """The conversation's group's canned replies, variables filled from the customer and the agent."""
        packet = handoff.get("packet") or {}
        attributes = (self.conversations.store.session(handoff["session_id"]) or {}).get("attributes") or {}
        attributes = {**(packet.get("attributes") or {}), **attributes}
        numbers = [e["value"] for e in packet.get("entities", []) if e.get("kind") in ("number", "order_field")]
        values = {"customer_name": next((attributes[k] for k in NAME_ATTRIBUTES if attributes.get(k)), ""),
                  "order_id": attributes.get("order_id") or (numbers[0] if numbers else ""),
                  "agent_name": agent["name"]}
        return [dict(r, filled=fill(r["text"], values)) for r in self.canned.listed([handoff["group"]])]

    # -- the customer ---------------------------------------------------------------------------
    def customer(self, handoff: dict, agent: dict) -> dict:
        """The customer's earlier conversations and ratings, the tickets ``agent`` may read, attributes, notes."""
        session = self.conversations.store.session(handoff["session_id"]) or {}
        customer_id = session.get("customer_id")
        earlier = self.context.earlier(customer_id, handoff["session_id"])
        tickets = self.conversations.tickets.of_customer(customer_id) if customer_id else []
        mine = [t for t in tickets if agent["role"] != "agent" or t["group"] in agent["groups"]
                or t["agent_id"] == agent["id"]]
        return dict(earlier, customer_id=customer_id, attributes=session.get("attributes") or {}, tickets=mine,
                    notes=self.context.notes(customer_id, handoff["session_id"]))

    def add_note(self, handoff: dict, agent: dict, text: str) -> dict:
        customer_id = (self.conversations.store.session(handoff["session_id"]) or {}).get("customer_id")
        return self.context.add_note(agent["name"], handoff["session_id"], customer_id, text)

    # -- wrap-up --------------------------------------------------------------------------------
    def wrap_up_form(self, handoff: dict) -> dict:
        """What the wrap-up form starts from: the taxonomy, the reason suggested by the matched entry's category
        (the bot's last answer, else its best candidate for the question), the question and the agent's reply."""
        said = self.conversations.store.history(handoff["session_id"])
        asked = [m["text"] for m in said if m["sender"] == "customer" and not is_person_request(m["text"])]
        replied = [m["text"] for m in said if m["sender"] == "agent"]
        entry = self._matched(said, asked[-1] if asked else "")
        return {"reasons": list(self.wrapups.reasons),
                "suggested": self.wrapups.suggested(entry.category if entry else ""),
                "entry_id": entry.id if entry else None, "entry_question": entry.question if entry else "",
                "question": asked[-1] if asked else "", "answer": replied[-1] if replied else "",
                "done": self.wrapups.of(handoff["id"])}

    def _matched(self, said: List[dict], question: str):
        bot = self.conversations.bot
        answered = next((m["entry_id"] for m in reversed(said) if m["sender"] == "bot" and m["decision"] == "answer"
                         and m["entry_id"]), None)
        if answered is None and question:
            best = self.search(question, limit=1)
            answered = best[0]["id"] if best else None
        return bot.kb.get(answered) if answered else None

    def wrap_up(self, handoff: dict, agent: dict, reason: str, resolved: bool, note: str = "",
                suggestion: Optional[dict] = None) -> dict:
        """Recorded once per conversation; with ``suggestion`` ({question, answer, entry_id?}) a trainer
        suggestion is saved too — as a new entry, or as a similar question of ``entry_id``."""
        if handoff["status"] != "closed":
            raise InvalidInput("wrap up once the conversation is closed")
        done = self.wrapups.record(handoff["id"], agent["id"], reason, resolved, note)
        if suggestion is not None:
            done["suggestion_id"] = self._suggest(handoff, agent, **suggestion)
        return done

    def _suggest(self, handoff: dict, agent: dict, question: str, answer: str, entry_id: Optional[str] = None) -> int:
        question, answer = mask_pii(question.strip()), mask_pii(answer.strip())
        if not question or not answer:
            raise InvalidInput("suggestion: both the customer's question and the agent's answer are needed")
        entry = self.conversations.bot.kb.get(entry_id) if entry_id else None
        if entry_id and entry is None:
            raise InvalidInput(f"suggestion: no entry {entry_id!r}")
        key = hashlib.sha1(f"{handoff['id']}:{question}".encode()).hexdigest()[:16]
        return self.suggestions.add(WRAP_UP_SUGGESTION, key, {
            "questions": [question], "action": "add_similar" if entry else "new_entry",
            "entry_id": entry.id if entry else None, "entry_question": entry.question if entry else "",
            "score": None, "volume": 1, "answer": answer,
            "detail": {"sessions": 1, "agent": agent["name"], "handoff_id": handoff["id"]}, "evidence": {}})
