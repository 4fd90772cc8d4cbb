"""A supervisor stepping in (在线支撑、应急接应): whisper to the agent, take a conversation over, hand it to
another agent — and the console's picture of every live conversation.

Events go through the conversation service's hub, which Redis relays between workers: a whisper reaches
the agent's page on whichever worker it is connected to, and never the customer's topic.
"""
from __future__ import annotations

import time

from sqlalchemy import func, select, update

from bot.config import SupervisionConfig
from bot.messages import message
from bot.service.conversations import DESK, Conversations, agent_topic
from bot.store import agents, handoffs
from handoff.desk import DeskError
from handoff.live_console import live_conversations
from knowledge_base.errors import Forbidden, NotFound

SUPERVISORS = ("supervisor", "admin")


class Supervision:
    def __init__(self, conversations: Conversations, settings: SupervisionConfig):
        self.conversations = conversations
        self.desk = conversations.desk
        self.settings = settings

    def live(self) -> dict:
        return live_conversations(self.conversations.store, self.settings)

    def transcript(self, session_id: str) -> dict:
        """A conversation as the customer, the bot and the agent wrote it, with its open hand-off."""
        history = self.conversations.store.history(session_id)
        if not history:
            raise NotFound(f"no conversation {session_id!r}")
        return {"session_id": session_id, "handoff": self.desk.open_handoff(session_id),
                "messages": [{k: m[k] for k in ("id", "created", "sender", "text", "author", "emotion", "decision")}
                             for m in history]}

    def whisper(self, handoff_id: int, supervisor: dict, text: str) -> dict:
        """Words for the agent only: published on the agent's own topic, never stored with the conversation."""
        handoff = self.desk.handoff(handoff_id)
        if handoff["status"] != "active" or not handoff["agent_id"]:
            raise DeskError(f"hand-off {handoff_id} has no agent to whisper to")
        event = {"type": "whisper", "handoff_id": handoff_id, "session_id": handoff["session_id"], "text": text,
                 "author": supervisor["name"], "at": time.time()}
        self.conversations.hub.publish(agent_topic(handoff["agent_id"]), event)
        return event

    def take_over(self, handoff_id: int, supervisor: dict) -> dict:
        """The supervisor becomes the conversation's agent (queued or active); the customer is told who is there."""
        return self._assign(handoff_id, supervisor, supervisor)

    def reassign(self, handoff_id: int, supervisor: dict, agent_id: int) -> dict:
        target = next((a for a in self.desk.agents() if a["id"] == agent_id), None)
        if target is None or target["role"] in ("trainer", "qa"):
            raise NotFound(f"no agent {agent_id}")
        return self._assign(handoff_id, supervisor, target)

    def _assign(self, handoff_id: int, supervisor: dict, target: dict) -> dict:
        if supervisor["role"] not in SUPERVISORS:
            raise Forbidden("only supervisors and admins step in")
        before = self.desk.handoff(handoff_id)
        with self.conversations.store.transaction() as conn:
            done = conn.execute(update(handoffs).where(handoffs.c.id == handoff_id,
                                                       handoffs.c.status.in_(("queued", "active")))
                                .values(status="active", agent_id=target["id"],
                                        accepted=func.coalesce(handoffs.c.accepted, time.time())))
        if done.rowcount != 1:
            raise DeskError(f"hand-off {handoff_id} is no longer open")
        handoff = self.desk.handoff(handoff_id)
        hub = self.conversations.hub
        if before["agent_id"] and before["agent_id"] != target["id"]:
            hub.publish(agent_topic(before["agent_id"]), {"type": "taken_over", "handoff_id": handoff_id,
                                                          "by": supervisor["name"], "to": target["name"]})
        hub.publish(agent_topic(target["id"]), {"type": "assigned", "handoff_id": handoff_id, "by": supervisor["name"]})
        language = self.conversations._language(handoff["session_id"])
        self.conversations._notify(handoff["session_id"], message("accepted", language, agent=target["name"]))
        hub.publish(DESK, {"type": "queue"})
        return {k: v for k, v in handoff.items() if k != "packet"}

    def staff(self) -> list:
        """Who a conversation can be handed to."""
        with self.conversations.store.reading() as conn:
            rows = conn.execute(select(agents.c.id, agents.c.name, agents.c.role, agents.c.status)
                                .where(agents.c.role.in_(("agent", "supervisor", "admin"))).order_by(agents.c.id))
            return [dict(r._mapping) for r in rows]
