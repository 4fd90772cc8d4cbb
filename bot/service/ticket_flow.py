"""Left messages as tickets, end to end: the customer leaves one (with a way to reach them), agents
reply (in the widget the next time the customer comes, and as a ``ticket.reply`` webhook a help desk
turns into an SMS or e-mail), the customer's answer reopens it, and closing it asks for a rating.
"""
from __future__ import annotations

from typing import List, Optional

from bot.messages import message
from bot.privacy import contact_details
from bot.service.topics import DESK, group_topic
from handoff.desk import AgentDesk
from handoff.tickets import TicketDesk
from knowledge_base.errors import InvalidInput


class TicketFlow:
    def __init__(self, conversations, tickets: TicketDesk):
        self.conversations = conversations  # bot.service.conversations.Conversations: notices, events, webhooks
        self.tickets = tickets

    @property
    def desk(self) -> AgentDesk:
        return self.conversations.desk

    # -- customers ------------------------------------------------------------------------------
    def leave_message(self, session_id: str, text: str, handoff: dict) -> dict:
        """The customer's words since they were invited become a ticket — once it is known how to reach
        them: a known customer (the host page's customer id) or a phone number or e-mail address given."""
        c = self.conversations
        store = c.store
        history = store.history(session_id)
        left = _left_since(history, handoff["created"]) or [text]
        customer_id = (store.session(session_id) or {}).get("customer_id")
        contact = [d for t in left for d in contact_details(t)]
        language = c._language(session_id, text)
        if not contact and not customer_id:
            notice = message("ticket_contact", language)
            message_id = store.add_message(session_id, "system", notice)
            return {"type": "system", "text": notice, "message_id": message_id, "needs_contact": True}
        ticket = self.tickets.create(handoff, "\n".join(left), list(dict.fromkeys(contact)), customer_id,
                                     self._category(history))
        self.desk.leave_message(handoff["id"])
        self._announce(ticket, "ticket.created", text="\n".join(left), contact=ticket["contact"])
        notice = message("ticket_saved", language, ticket=f"#{ticket['id']}")
        message_id = store.add_message(session_id, "system", notice)
        return {"type": "system", "text": notice, "message_id": message_id, "ticket_id": ticket["id"]}

    def customer_replied(self, session_id: str, text: str, message_id: int) -> Optional[dict]:
        """The customer answered a ticket that waited on them: it reopens and the words go to its agent."""
        ticket = self.tickets.customer_replied(session_id)
        if ticket is None:
            return None
        self._announce(ticket, "ticket.reopened", text=text, message_id=message_id)
        notice = message("ticket_reopened", self.conversations._language(session_id, text), ticket=f"#{ticket['id']}")
        notice_id = self.conversations.store.add_message(session_id, "system", notice)
        return {"type": "system", "text": notice, "message_id": notice_id, "ticket_id": ticket["id"]}

    # -- agents ---------------------------------------------------------------------------------
    def reply(self, ticket_id: int, agent: dict, text: str) -> int:
        """Stored in the conversation (the widget shows it when the customer returns, or at once if open)."""
        ticket = self.tickets.readable(ticket_id, agent)
        if ticket["status"] == "closed":
            raise InvalidInput(f"ticket {ticket_id} is closed")
        message_id = self.conversations.agent_says(ticket["session_id"], agent["name"], text)
        ticket = self.tickets.replied(ticket_id, agent)
        self._announce(ticket, "ticket.reply", text=text, author=agent["name"], contact=ticket["contact"])
        return message_id

    def close(self, ticket_id: int, agent: dict) -> dict:
        """Closed; the customer is told and invited to rate how it was handled."""
        c = self.conversations
        ticket = self.tickets.close(ticket_id, agent)
        session_id = ticket["session_id"]
        language = c._language(session_id)
        c._notify(session_id, message("ticket_closed", language, ticket=f"#{ticket_id}"))
        if c.survey is not None and c.survey.enabled and ticket["handoff_id"]:
            handoff = dict(self.desk.handoff(ticket["handoff_id"]), agent_id=ticket["agent_id"], group=ticket["group"])
            ticket["survey_id"] = self.desk.invite(handoff, c.survey.nps)
            c._notify(session_id, message("survey", language), {"survey": ticket["survey_id"], "nps": c.survey.nps},
                      kind="survey")
        self._announce(ticket, "ticket.closed")
        return ticket

    def changed(self, ticket: dict, event: str) -> dict:
        """Assigned, transferred or resolved: the desk and the help desk hear of it."""
        self._announce(ticket, event)
        return ticket

    # -- plumbing -------------------------------------------------------------------------------
    def _announce(self, ticket: dict, event: str, **extra) -> None:
        hub = self.conversations.hub
        hub.publish(group_topic(ticket["group"]), {"type": "ticket", "ticket_id": ticket["id"], "event": event})
        hub.publish(DESK, {"type": "queue"})
        self.conversations._emit(event, dict(_public(ticket), **extra))

    def _category(self, history: List[dict]) -> str:
        """The category of the entry the bot last answered with: what the message is probably about."""
        kb = self.conversations.bot.kb
        entry = next((m["entry_id"] for m in reversed(history)
                      if m["sender"] == "bot" and m["decision"] == "answer" and m["entry_id"]), None)
        found = kb.get(entry) if entry else None
        return found.category if found is not None else ""


def _left_since(history: List[dict], since: float) -> List[str]:
    """The customer's messages since the invitation that the bot did not answer instead."""
    later = [m for m in history if m["created"] >= since]
    return [m["text"] for i, m in enumerate(later) if m["sender"] == "customer"
            and not (i + 1 < len(later) and later[i + 1]["sender"] == "bot")]


def _public(ticket: dict) -> dict:
    keep = ("id", "session_id", "group", "rule", "status", "priority", "due", "agent_id", "category", "customer_id")
    return dict({k: ticket[k] for k in keep}, ticket_id=ticket["id"])
