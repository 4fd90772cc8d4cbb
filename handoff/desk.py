"""The agent desk: agents and their sign-in, the hand-off queue per skill group, tickets and surveys.

Everything lives in the conversation store's database, so any worker (and a restarted one) sees
the same queue. State changes are single conditional UPDATEs — two agents clicking "accept" on the
same conversation cannot both get it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Dict, List, Optional, Sequence

from sqlalchemy import bindparam, func, insert, select, update

from bot.store import ConversationStore, agent_status_log, agent_tokens, agents, handoffs, serialised, surveys
from knowledge_base.errors import Conflict, Forbidden, NotFound

ROLES = ("agent", "supervisor", "admin", "trainer", "qa")  # trainers curate the KB, never chat; qa inspects quality
STATUSES = ("online", "busy", "away", "offline")  # busy: signed in, serving, taking no new conversations
TOKEN_HOURS = 12
OPEN = ("queued", "active")  # a person has (or will have) the conversation: the bot is silent
LEAVE_MESSAGE = "leave_message"  # nobody could pick up: the customer's next message becomes a ticket
# asked on every customer message: built once (see bot/store/conversation_store.py)
OPEN_HANDOFF = select(handoffs).where(handoffs.c.session_id == bindparam("session"),
                                      handoffs.c.status.in_(OPEN + (LEAVE_MESSAGE,))).order_by(handoffs.c.id.desc())
_DUMMY_HASH = None  # compared against for unknown usernames, so timing does not reveal which exist


class DeskError(Conflict):
    """An agent action that cannot be done (already taken, not yours, unknown group …)."""


class AgentDesk:
    def __init__(self, store: ConversationStore, groups: Sequence[str] = ("general",), max_chats: int = 3):
        self.store = store
        self.max_chats = max_chats  # conversations an agent serves at once, unless their own setting differs
        self.engine = store.engine
        self._lock = store._lock
        self.groups = tuple(groups)

    # -- agents ---------------------------------------------------------------------------------
    @serialised
    def add_agent(self, username: str, password: str, name: str = "", role: str = "agent",
                  groups: Sequence[str] = ("general",), max_chats: Optional[int] = None) -> int:
        if role not in ROLES:
            raise DeskError(f"role {role!r}: choose one of {ROLES}")
        unknown = [g for g in groups if g not in self.groups]
        if unknown or not groups:
            raise DeskError(f"groups {list(groups)}: each must be one of {list(self.groups)}")
        if len(password) < 8:
            raise DeskError("password: at least 8 characters")
        with self.engine.begin() as conn:
            if conn.execute(select(agents.c.id).where(agents.c.username == username)).first():
                raise DeskError(f"agent {username!r} already exists")
            return int(conn.execute(insert(agents).values(
                username=username, name=name or username, password_hash=hash_password(password), role=role,
                groups=json.dumps(list(groups)), status="offline", created=time.time(), max_chats=max_chats)
                .returning(agents.c.id)).scalar_one())

    def login(self, username: str, password: str) -> Optional[str]:
        """A fresh bearer token, or None: wrong name and wrong password look (and take) the same.
        The slow hash runs outside the store lock, so sign-ins never hold up customers."""
        row = self._agent_row(username)
        ok = check_password(password, row.password_hash if row else _dummy_hash())
        return self._new_token(row.id) if row is not None and ok else None

    @serialised
    def _agent_row(self, username: str):
        with self.engine.connect() as conn:
            return conn.execute(select(agents).where(agents.c.username == username)).first()

    @serialised
    def _new_token(self, agent_id: int) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(insert(agent_tokens).values(token_hash=_digest(token), agent_id=agent_id, created=now,
                                                     expires=now + TOKEN_HOURS * 3600))
        return token

    @serialised
    def agent_for_token(self, token: str) -> Optional[dict]:
        query = select(agents).join(agent_tokens, agent_tokens.c.agent_id == agents.c.id).where(
            agent_tokens.c.token_hash == _digest(token or ""), agent_tokens.c.expires > time.time())
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _agent(row) if row else None

    @serialised
    def token_expires(self, token: str) -> Optional[float]:
        """When ``token`` stops working (epoch seconds); None when it already has."""
        query = select(agent_tokens.c.expires).where(agent_tokens.c.token_hash == _digest(token or ""),
                                                     agent_tokens.c.expires > time.time())
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    @serialised
    def logout(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(agent_tokens.delete().where(agent_tokens.c.token_hash == _digest(token)))

    @serialised
    def set_status(self, agent_id: int, status: str) -> None:
        if status not in STATUSES:
            raise DeskError(f"status {status!r}: choose one of {STATUSES}")
        with self.engine.begin() as conn:
            changed = conn.execute(update(agents).where(agents.c.id == agent_id, agents.c.status != status)
                                   .values(status=status)).rowcount
            if changed:  # the log shows when each agent was available (supervision, shift reports)
                conn.execute(insert(agent_status_log).values(agent_id=agent_id, created=time.time(), status=status))

    @serialised
    def status_log(self, agent_id: int) -> List[dict]:
        query = select(agent_status_log).where(agent_status_log.c.agent_id == agent_id).order_by(agent_status_log.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def limit_of(self, agent: dict) -> int:
        return agent.get("max_chats") or self.max_chats

    @serialised
    def agents(self) -> List[dict]:
        with self.engine.connect() as conn:
            return [_agent(r) for r in conn.execute(select(agents).order_by(agents.c.id))]

    # -- queue state (transfer rules read it) -----------------------------------------------------
    def online(self, group: str) -> int:
        return sum(1 for a in self.agents() if a["status"] == "online" and group in a["groups"])

    def waiting(self, group: str) -> int:
        return len(self.queue([group]))

    # -- hand-offs ------------------------------------------------------------------------------
    @serialised
    def open_handoff(self, session_id: str) -> Optional[dict]:
        """The session's hand-off still in progress: queued, active, or waiting for a left message."""
        with self.engine.connect() as conn:
            row = conn.execute(OPEN_HANDOFF, {"session": session_id}).first()
        return _handoff(row) if row else None

    @serialised
    def create_handoff(self, session_id: str, routing: dict, channel: str, packet: dict) -> dict:
        """Queued for an agent, or (``routing["ticket"]``) waiting for the customer to leave a message."""
        status = LEAVE_MESSAGE if routing["ticket"] else "queued"
        with self.engine.begin() as conn:
            handoff_id = conn.execute(insert(handoffs).values(
                session_id=session_id, created=time.time(), group=routing["group"], priority=routing["priority"],
                rule=routing["rule"], reason=routing["reason"], status=status, channel=channel,
                packet=json.dumps(packet, ensure_ascii=False)).returning(handoffs.c.id)).scalar_one()
            return _handoff(conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first())

    def position(self, handoff: dict) -> int:
        """How many queued conversations of its group are served before this one."""
        ahead = [h for h in self.queue([handoff["group"]]) if h["id"] != handoff["id"]]
        mine = (-handoff["priority"], handoff["created"])
        return sum(1 for h in ahead if (-h["priority"], h["created"]) < mine)

    @serialised
    def queue(self, groups: Sequence[str]) -> List[dict]:
        """Waiting conversations, highest priority first, then longest waiting."""
        query = select(handoffs).where(handoffs.c.status == "queued", handoffs.c.group.in_(list(groups))) \
            .order_by(handoffs.c.priority.desc(), handoffs.c.created, handoffs.c.id)
        with self.engine.connect() as conn:
            return [_handoff(r) for r in conn.execute(query)]

    @serialised
    def handoff(self, handoff_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        if row is None:
            raise NotFound(f"no hand-off {handoff_id}")
        return _handoff(row)

    @serialised
    def assigned(self, agent_id: int) -> List[dict]:
        query = select(handoffs).where(handoffs.c.agent_id == agent_id, handoffs.c.status == "active") \
            .order_by(handoffs.c.accepted)
        with self.engine.connect() as conn:
            return [_handoff(r) for r in conn.execute(query)]

    def accept(self, handoff_id: int, agent: dict) -> dict:
        """Counted and taken in one transaction that first locks the agent's row: two accepts by one agent
        at the same instant (two tabs, automatic assignment on two workers) take turns at the limit."""
        self.readable(handoff_id, agent)
        limit = self.limit_of(agent)
        serving = select(func.count()).select_from(handoffs).where(handoffs.c.agent_id == agent["id"],
                                                                   handoffs.c.status == "active")
        with self.store.transaction() as conn:  # SQLite: this process's writers take turns first
            conn.execute(update(agents).where(agents.c.id == agent["id"]).values(status=agents.c.status))
            if conn.execute(serving).scalar_one() >= limit:
                raise DeskError(f"{agent['name']} already serves {limit} conversations (the most at once)")
            self._change(handoff_id, ("queued",), _scope(agent, owner=False), conn, status="active",
                         agent_id=agent["id"], accepted=time.time())
        return self.handoff(handoff_id)

    def transfer(self, handoff_id: int, agent: dict, group: str) -> dict:
        if group not in self.groups:
            raise DeskError(f"group {group!r}: choose one of {list(self.groups)}")
        self.owned(handoff_id, agent)
        self._change(handoff_id, ("active",), _scope(agent, owner=True), status="queued", group=group,
                     agent_id=None, accepted=None)
        return self.handoff(handoff_id)

    def close(self, handoff_id: int, agent: Optional[dict], survey: bool = True, nps: bool = False) -> dict:
        """Close the conversation; with ``survey``, store the satisfaction invitation (it counts even
        if the customer never answers). ``agent`` None: closed by the help-desk integration."""
        scope = ()
        if agent is not None:
            self.owned(handoff_id, agent)
            scope = _scope(agent, owner=True)
        self._change(handoff_id, OPEN, scope, status="closed", closed=time.time())
        handoff = self.handoff(handoff_id)
        if survey:
            handoff["survey_id"] = self.invite(handoff, nps)
        return handoff

    def abandon(self, handoff_id: int) -> None:
        """The customer stopped waiting before an agent accepted (counted in the report's abandon_rate)."""
        self._change(handoff_id, ("queued",), (), status="abandoned", closed=time.time())

    def offer_message(self, handoff_id: int) -> None:
        """Waited too long in the queue: the customer is invited to leave a message instead."""
        self._change(handoff_id, ("queued",), (), status=LEAVE_MESSAGE)

    def leave_message(self, handoff_id: int) -> None:
        """The customer left the message the hand-off waited for."""
        self._change(handoff_id, (LEAVE_MESSAGE,), (), status="ticket", closed=time.time())

    def readable(self, handoff_id: int, agent: dict) -> dict:
        """The hand-off, if this agent may see it: their group's, or their own (supervisors: all)."""
        handoff = self.handoff(handoff_id)
        if agent["role"] == "agent" and handoff["group"] not in agent["groups"] and handoff["agent_id"] != agent["id"]:
            raise Forbidden(f"hand-off {handoff_id} belongs to group {handoff['group']!r}; "
                                  f"you are in {agent['groups']}")
        return handoff

    def owned(self, handoff_id: int, agent: dict) -> dict:
        """The hand-off, if this agent owns it (supervisors may act on any)."""
        handoff = self.handoff(handoff_id)
        if agent["role"] == "agent" and handoff["agent_id"] != agent["id"]:
            raise Forbidden(f"hand-off {handoff_id} is not yours")
        return handoff

    @serialised
    def _change(self, handoff_id: int, allowed: Sequence[str], scope: Sequence = (), conn=None, **values) -> None:
        """One conditional UPDATE: the state (and, for agents, the group or owner) checked and changed at once
        (in ``conn``'s transaction when given)."""
        if conn is None:
            with self.engine.begin() as conn:
                return self._change(handoff_id, allowed, scope, conn, **values)
        done = conn.execute(update(handoffs).where(handoffs.c.id == handoff_id,
                                                   handoffs.c.status.in_(list(allowed)), *scope).values(**values))
        if done.rowcount != 1:
            raise DeskError(f"hand-off {handoff_id} is no longer {' or '.join(allowed)} (or no longer yours)")

    # -- satisfaction ---------------------------------------------------------------------------
    @serialised
    def invite(self, handoff: dict, nps: bool) -> int:
        """The satisfaction invitation for a closed hand-off (or a closed ticket); its id."""
        with self.engine.begin() as conn:
            return int(conn.execute(insert(surveys).values(
                handoff_id=handoff["id"], session_id=handoff["session_id"], created=time.time(),
                agent_id=handoff["agent_id"], group=handoff["group"], channel=handoff["channel"],
                rule=handoff["rule"], nps_asked=int(nps)).returning(surveys.c.id)).scalar_one())

    @serialised
    def rate(self, survey_id: int, session_id: str, csat: int, nps: Optional[int] = None, comment: str = "",
             accept_for_hours: float = 72) -> None:
        if not (isinstance(csat, int) and 1 <= csat <= 5):
            raise DeskError("csat: a whole number from 1 to 5")
        if nps is not None and not (isinstance(nps, int) and 0 <= nps <= 10):
            raise DeskError("nps: a whole number from 0 to 10")
        with self.engine.begin() as conn:
            row = conn.execute(select(surveys).where(surveys.c.id == survey_id,
                                                     surveys.c.session_id == session_id)).first()
            if row is None:
                raise NotFound(f"no survey {survey_id} in session {session_id!r}")
            if time.time() - row.created > accept_for_hours * 3600:
                raise DeskError("this survey has expired")
            answered = conn.execute(update(surveys).where(surveys.c.id == survey_id, surveys.c.answered.is_(None))
                                    .values(csat=csat, nps=nps if row.nps_asked else None, comment=comment[:2000],
                                            answered=time.time()))
            if answered.rowcount != 1:  # checked in the UPDATE itself: two workers cannot both rate
                raise DeskError("this survey was already answered")

    @serialised
    def surveys(self) -> List[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(surveys).order_by(surveys.c.id))]

    # -- the hand-off packet --------------------------------------------------------------------
    def packet(self, handoff_id: int) -> dict:
        """What the agent sees: transcript with the bot's decisions and candidates, emotion
        trajectory, customer attributes, channel and the rule that fired."""
        handoff = self.handoff(handoff_id)
        session = self.store.session(handoff["session_id"]) or {}
        transcript = []
        for m in self.store.history(handoff["session_id"]):
            details = json.loads(m.pop("details") or "{}")
            m["candidates"] = details.get("candidates", [])
            transcript.append(m)
        return dict(handoff, attributes=session.get("attributes", {}), customer_id=session.get("customer_id"),
                    transcript=transcript,
                    emotion=[round(m["emotion"], 3) for m in transcript if m["emotion"] is not None])

    @serialised
    def counts(self) -> Dict[str, int]:
        """Queue length per group (metrics)."""
        query = select(handoffs.c.group, func.count()).where(handoffs.c.status == "queued").group_by(handoffs.c.group)
        with self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        return {g: int(found.get(g, 0)) for g in self.groups}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2 ** 14, r=8, p=1)
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(12))
    return _DUMMY_HASH


def _scope(agent: dict, owner: bool) -> tuple:
    """Extra UPDATE conditions for a plain agent: their own conversation, or one of their groups."""
    if agent["role"] != "agent":
        return ()
    return (handoffs.c.agent_id == agent["id"],) if owner else (handoffs.c.group.in_(agent["groups"]),)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _agent(row) -> dict:
    data = {k: v for k, v in row._mapping.items() if k != "password_hash"}
    data["groups"] = json.loads(data["groups"])
    return data


def _handoff(row) -> dict:
    data = dict(row._mapping)
    data["packet"] = json.loads(data["packet"])
    return data

