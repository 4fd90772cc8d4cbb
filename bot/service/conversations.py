"""Conversations between customers, the bot and agents — the service core the HTTP layer calls.

Each customer message is stored before anything answers it. Then either the bot replies (and the
transfer rules may hand the conversation to a person), or — while a hand-off is open — the message
goes to the agent and the bot stays silent. Agent actions (accept, message, transfer, close) come
back through here, so the customer's widget, the agents' pages, the store, the webhooks and the
metrics all see the same events.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from typing import Dict, List, Optional

from handoff.desk import LEAVE_MESSAGE, OPEN, AgentDesk, DeskError
from handoff.follow_up import FollowUps
from handoff.router import HandoffRouter
from handoff.assignment import Assignment
from handoff.tickets import TicketDesk
from handoff.webhooks import WebhookSender

from bot.action_settings import ActionsConfig
from bot.actions.lookups import Lookups
from bot.service.chat import ChatSession
from bot.config import DeskConfig, HandoffConfig
from bot.engine import Bot
from bot.service.hub import EventHub
from bot.messages import language_of, message
from bot.service.metrics import Metrics
from bot.asking import is_question
from bot.picks import is_button
from bot.privacy import MaskingFilter, has_contact_details
from bot.reply import Reply
from bot.service.session_state import restore
from bot.service.ticket_flow import TicketFlow
from bot.service.topics import (DESK, SIGNED_OUT, SUPERVISION, agent_topic, group_topic, session_topic,  # noqa: F401
                                staff_topics)
from bot.store import ConversationStore
from knowledge_base.errors import NotFound

log = logging.getLogger("faqbot.conversations")
log.addFilter(MaskingFilter())  # customers type phone and card numbers; logs never keep them
MAX_SESSIONS = 10_000
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
class Conversations:
    """Sessions in memory (option state, turns the rules count), every message in the store.

    Requests run in a thread pool: one lock per session keeps a customer's messages in order (a double
    click must not pick from the wrong option list); another guards the session table itself.
    """

    def __init__(self, bot: Bot, store: ConversationStore, router: Optional[HandoffRouter] = None,
                 desk: Optional[AgentDesk] = None, hub: Optional[EventHub] = None,
                 webhooks: Optional[WebhookSender] = None, survey=None, metrics: Optional[Metrics] = None,
                 policy: DeskConfig = DeskConfig(), lookups: Optional[Lookups] = None):
        self.bot = bot
        self.store = store
        self.router = router
        self.desk = desk
        self.hub = hub or EventHub()
        self.webhooks = webhooks
        self.survey = survey  # bot.config.SurveyConfig; None: no survey
        self.metrics = metrics or Metrics()
        self.follow_ups = FollowUps(store)  # unhappy ratings → call-back tasks (build() passes the settings)
        self.policy = policy  # the desk's SLA, limits, assignment and queue timeout
        self.tickets = TicketDesk(store, desk.groups, policy) if desk else None
        self.ticketing = TicketFlow(self, self.tickets) if desk else None
        self.assignment = Assignment(desk, policy) if desk else None
        self.lookups = lookups  # entries that look their answers up in the business's systems (bot/actions)
        self.sessions: Dict[str, ChatSession] = {}
        self.locks: Dict[str, threading.Lock] = {}
        self.last_bot_message: Dict[str, tuple] = {}  # session → (message id, decision)
        self.seen: Dict[str, int] = {}  # session → newest customer/bot message this worker knows of
        self._guard = threading.Lock()

    @classmethod
    def build(cls, bot: Bot, store: ConversationStore, handoff: HandoffConfig,
              webhook_secret: str = "", actions: ActionsConfig = ActionsConfig(),
              actions_secret: str = "", attributes_secret: str = "") -> "Conversations":
        """The service with its hand-off parts (rules, agent desk, event hub, webhooks, metrics) and lookups."""
        desk = AgentDesk(store, handoff.groups, handoff.desk.max_chats)
        webhooks = WebhookSender(store, handoff.webhook.url, webhook_secret)
        metrics = Metrics(desk)
        built = cls(bot, store, HandoffRouter.for_bot(handoff, bot), desk, EventHub(), webhooks, handoff.survey,
                    metrics, handoff.desk, Lookups.build(actions, actions_secret, metrics.lookup, attributes_secret))
        built.follow_ups = FollowUps(store, handoff.supervision)
        return built

    # -- customers ------------------------------------------------------------------------------
    def handle(self, session_id: str, text: str, channel: str = "web", customer_id: Optional[str] = None,
               attributes: Optional[dict] = None, starting: bool = False) -> dict:
        """The JSON the customer's client gets: a bot reply, a system notice, or (while an agent owns
        the conversation) a receipt. The customer's message is committed first. ``starting``: the
        client has no proof the conversation is theirs, so this message must start it (the store
        decides, atomically; ConversationTaken if it exists)."""
        session_id, text, channel = _clean(session_id)[:128], _clean(text), _clean(channel)[:32] or "web"
        session, lock = self._session(session_id, channel)
        with lock:
            session.bot, session.router = self.bot, self.router  # a newly published version from now on
            self._catch_up(session, session_id)
            message_id = self.store.receive(session_id, channel, text, customer_id and _clean(customer_id)[:128],
                                            attributes, starting)
            if attributes:
                session.attributes = dict(attributes)
            self.seen[session_id] = message_id
            self.metrics.customer_message(channel)
            handoff = self.desk.open_handoff(session_id) if self.desk else None
            if handoff is not None and handoff["status"] == LEAVE_MESSAGE:
                answer = self._answered_instead(session, text)
                if answer is not None:
                    return self._stored(session, session_id, text, answer, message_id)
                return self.ticketing.leave_message(session_id, text, handoff)
            if handoff is not None:
                return self._relay(handoff, text, message_id)
            reopened = self.ticketing.customer_replied(session_id, text, message_id) if self.desk else None
            return reopened or self._reply(session, session_id, text, message_id)

    def _reply(self, session: ChatSession, session_id: str, text: str, customer_message: int) -> dict:
        reply = session.send(text, queue=self.desk) if self.desk else session.send(text)
        return self._stored(session, session_id, text, reply, customer_message)

    def _answered_instead(self, session: ChatSession, text: str) -> Optional[Reply]:
        """Invited to leave a message, the customer asked a question the bot answers with confidence:
        answered, not filed away until tomorrow (the invitation stays open). A message giving a phone
        number, an e-mail or an order number — or that asks nothing — is meant for a person."""
        if has_contact_details(text) or not is_question(text):
            return None
        a = session.bot.understand(text)
        decision = session.bot.decide(a)
        if a.entities or decision.kind != "answer" or decision.way_out:
            return None
        session.picked = None
        session.emotion = self.router.emotion(text, a.vector) if self.router else 0.0
        return session.bot.word(a, decision, session.channel)

    def _stored(self, session: ChatSession, session_id: str, text: str, reply: Reply, customer_message: int) -> dict:
        previous = self.last_bot_message.get(session_id)
        if session.picked and previous and previous[1] == "clarify":
            self.store.add_feedback(session_id, previous[0], "clarify_choice", session.picked)
        message_id = self.store.add_message(session_id, "bot", reply.text, reply,
                                            answering=(customer_message, session.emotion if self.router else None))
        self.last_bot_message[session_id] = (message_id, reply.decision)
        self.seen[session_id] = message_id
        self.metrics.bot_reply(reply)
        self.hub.publish(SUPERVISION, {"type": "activity", "session_id": session_id})
        log.info("session=%s decision=%s entry=%s text=%s", session_id, reply.decision, reply.entry_id, text)
        payload = dict(reply.to_dict(), type="bot", message_id=message_id)
        if reply.handoff:
            payload["handoff"] = self._hand_off(session, session_id, reply.handoff)
        return payload

    def _hand_off(self, session: ChatSession, session_id: str, routing: dict) -> dict:
        self.metrics.handoff(routing)
        packet = {"routing": routing, "attributes": session.attributes, "emotion": session.emotion,
                  "entities": [e.to_dict() for e in session.entities], "lookups": session.looked_up}
        handoff = self.desk.create_handoff(session_id, routing, session.channel, packet)
        if routing["ticket"]:
            return dict(routing, status=LEAVE_MESSAGE, handoff_id=handoff["id"])
        ahead = self.desk.position(handoff)
        notice = message("queued", self._language(session_id), ahead=ahead)
        notice_id = self._notify(session_id, notice, push=False)  # it travels with the reply, after its text
        self.hub.publish(DESK, {"type": "queue"})
        self._emit("handoff.created", handoff)
        self.dispatch([handoff["group"]])
        return dict(routing, status="queued", handoff_id=handoff["id"], ahead=ahead, notice=notice,
                    notice_id=notice_id)

    def _relay(self, handoff: dict, text: str, message_id: int) -> dict:
        """An agent owns (or will own) this conversation: the message is theirs, the bot says nothing."""
        event = {"type": "customer", "handoff_id": handoff["id"], "session_id": handoff["session_id"],
                 "message_id": message_id, "text": text}
        self.store.set_emotion(message_id, self.router.emotion(text) if self.router else None)
        owner = agent_topic(handoff["agent_id"]) if handoff["agent_id"] else group_topic(handoff["group"])
        self.hub.publish(owner, event)
        self.hub.publish(SUPERVISION, {"type": "activity", "session_id": handoff["session_id"]})
        self._emit("message.customer", event)
        return {"type": "relayed", "message_id": message_id, "handoff_id": handoff["id"], "status": handoff["status"]}

    def pass_to_agent(self, handoff: dict, text: str, message_id: int) -> dict:
        """A stored customer message other than text (a picture) for the agent who has the conversation."""
        return self._relay(handoff, text, message_id)

    def _catch_up(self, session: ChatSession, session_id: str) -> None:
        """Another worker (or this one before a restart) took the last messages: rebuild from the store."""
        latest = self.store.last_exchange(session_id)
        if latest == self.seen.get(session_id, 0):
            return
        last_bot = restore(session, self.store.history(session_id))
        if last_bot is None:
            self.last_bot_message.pop(session_id, None)
        else:
            self.last_bot_message[session_id] = last_bot
        stored = self.store.session(session_id)
        if stored and stored["attributes"]:
            session.attributes = stored["attributes"]
        self.seen[session_id] = latest

    def switch(self, bot: Bot, router: Optional[HandoffRouter]) -> None:
        """Serve ``bot`` (a newly published version) from the next message on; messages being
        answered finish with the bot they started with. Idle conversations let go of the old version
        now: each one kept it alive (its whole model, ~300 MB) until its customer wrote again."""
        self.bot, self.router = bot, router
        with self._guard:
            held = [(session, self.locks.get(session_id)) for session_id, session in self.sessions.items()]
        for session, lock in held:
            if lock is not None and lock.acquire(blocking=False):  # a busy one switches at its next message
                try:
                    session.bot, session.router = bot, router
                finally:
                    lock.release()

    # -- agents ---------------------------------------------------------------------------------
    def accept(self, handoff_id: int, agent: dict) -> dict:
        handoff = self.desk.accept(handoff_id, agent)
        language = self._language(handoff["session_id"])
        self._notify(handoff["session_id"], message("accepted", language, agent=agent["name"]))
        self.hub.publish(DESK, {"type": "queue"})
        self._emit("handoff.accepted", dict(handoff, agent=agent["username"]))
        return handoff

    def agent_message(self, handoff_id: int, agent: Optional[dict], text: str, author: str = "") -> int:
        """An agent's message to the customer (``agent`` None: from a connected help desk)."""
        handoff = self.desk.owned(handoff_id, agent) if agent is not None else self.desk.handoff(handoff_id)
        if handoff["status"] not in OPEN:
            raise NotFound(f"hand-off {handoff_id} is closed")
        return self.agent_says(handoff["session_id"], agent["name"] if agent else author or "agent", text)

    def agent_says(self, session_id: str, name: str, text: str) -> int:
        """A person's words to the customer: stored (the widget restores them) and pushed to an open widget."""
        message_id = self.store.add_message(session_id, "agent", _clean(text), author=name)
        self.hub.publish(session_topic(session_id), {"type": "agent", "text": text, "author": name,
                                                     "message_id": message_id})
        self.hub.publish(SUPERVISION, {"type": "activity", "session_id": session_id})
        return message_id

    def transfer(self, handoff_id: int, agent: dict, group: str) -> dict:
        handoff = self.desk.transfer(handoff_id, agent, group)
        self._notify(handoff["session_id"], message("transferred", self._language(handoff["session_id"]), group=group))
        self.hub.publish(DESK, {"type": "queue"})
        self._emit("handoff.transferred", dict(handoff, by=agent["username"]))
        self.dispatch([group])
        return handoff

    def close(self, handoff_id: int, agent: Optional[dict]) -> dict:
        """Close; the bot is back, and the customer is invited to rate the agent."""
        survey = self.survey is not None and self.survey.enabled
        handoff = self.desk.close(handoff_id, agent, survey=survey, nps=survey and self.survey.nps)
        session_id = handoff["session_id"]
        language = self._language(session_id)
        self._notify(session_id, message("closed", language))
        if survey:
            details = {"survey": handoff["survey_id"], "nps": self.survey.nps}
            self._notify(session_id, message("survey", language), details, kind="survey")
        with self._guard:
            if session_id in self.sessions:
                self.sessions[session_id].turns = []
        self.hub.publish(DESK, {"type": "queue"})
        self._emit("handoff.closed", handoff)
        self.dispatch(self.desk.groups)  # an agent is free again
        return handoff

    def leave_queue(self, session_id: str) -> dict:
        """The customer stops waiting for an agent: the bot is back, the hand-off counts as abandoned."""
        handoff = self.desk.open_handoff(session_id)
        if handoff is None or handoff["status"] != "queued":
            raise DeskError("this conversation is not waiting for an agent")
        self.desk.abandon(handoff["id"])
        notice = message("left_queue", self._language(session_id))
        message_id = self._notify(session_id, notice)
        with self._guard:
            if session_id in self.sessions:
                self.sessions[session_id].turns = []
        self.hub.publish(DESK, {"type": "queue"})
        self._emit("handoff.abandoned", self.desk.handoff(handoff["id"]))
        return {"type": "system", "text": notice, "message_id": message_id}

    def dispatch(self, groups) -> List[dict]:
        """Automatic assignment (``handoff.desk.assignment``): the waiting conversations of ``groups``, most
        urgent first, each to a free agent of its group; the ones accepted."""
        if self.assignment is None or not self.assignment.automatic:
            return []
        accepted = []
        for handoff in self.desk.queue(list(groups)):
            agent = self.assignment.pick(handoff["group"])
            if agent is None:
                continue
            try:
                accepted.append(self.accept(handoff["id"], agent))
            except DeskError:  # taken a moment ago (another worker), or the agent just filled up
                continue
        return accepted

    def time_out_queue(self, now: Optional[float] = None) -> List[int]:
        """Customers queued longer than ``handoff.desk.queue_timeout_minutes`` are invited to leave a
        message instead of waiting on; their hand-off ids."""
        if self.desk is None:
            return []
        cutoff = (now or time.time()) - self.policy.queue_timeout_minutes * 60
        offered = []
        for handoff in self.desk.queue(self.desk.groups):
            if handoff["created"] > cutoff:
                continue
            try:
                self.desk.offer_message(handoff["id"])
            except DeskError:  # accepted meanwhile
                continue
            self._notify(handoff["session_id"], message("queue_timeout", self._language(handoff["session_id"])))
            self._emit("handoff.timed_out", handoff)
            offered.append(handoff["id"])
        if offered:
            self.hub.publish(DESK, {"type": "queue"})
        return offered

    def rate(self, survey_id: int, session_id: str, csat: int, nps: Optional[int], comment: str) -> None:
        accept_for = self.survey.accept_for_hours if self.survey else 72
        self.desk.rate(survey_id, session_id, csat, nps, comment, accept_for)
        self.metrics.rating(csat)
        if self.follow_ups.after_rating(survey_id) is not None:
            self.hub.publish(SUPERVISION, {"type": "callback", "session_id": session_id})
        self._emit("rating.created", {"survey_id": survey_id, "session_id": session_id, "csat": csat,
                                      "nps": nps, "comment": comment})

    # -- plumbing -------------------------------------------------------------------------------
    def _notify(self, session_id: str, text: str, details: Optional[dict] = None, kind: str = "system",
                push: bool = True) -> int:
        """A notice to the customer, stored (the widget restores it) and pushed to an open widget."""
        message_id = self.store.add_message(session_id, "system", text, details=details)
        if push:
            self.hub.publish(session_topic(session_id), dict(details or {}, type=kind, text=text, message_id=message_id))
        return message_id

    def _emit(self, event: str, payload: dict) -> None:
        if self.webhooks is not None:
            self.webhooks.emit(event, {k: v for k, v in payload.items() if k != "packet"})

    def _language(self, session_id: str, text: str = "") -> str:
        if self.bot.language != "auto":
            return self.bot.language
        if not text:
            history = self.store.history(session_id)
            text = next((m["text"] for m in history if m["sender"] == "customer" and m["text"].strip()
                         and not is_button(m["text"])), "")  # a button's payload is in no language
        return language_of(text)

    def _session(self, session_id: str, channel: str):
        with self._guard:
            if session_id not in self.sessions and len(self.sessions) >= MAX_SESSIONS:
                oldest = next(iter(self.sessions))
                for table in (self.sessions, self.locks, self.last_bot_message, self.seen):
                    table.pop(oldest, None)
            session = self.sessions.setdefault(session_id, ChatSession(self.bot, channel, self.router,
                                                                            lookups=self.lookups))
            return session, self.locks.setdefault(session_id, threading.Lock())


def _clean(text: str) -> str:
    """NUL characters and lone UTF-16 surrogates cannot be stored (PostgreSQL refuses them, UTF-8
    cannot encode them) and mean nothing in a message."""
    return _LONE_SURROGATES.sub("\ufffd", text.replace("\x00", ""))

