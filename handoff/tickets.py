"""Tickets (留言 / 工单): a left message followed until it is closed — first-contact ownership in the store.

A ticket goes new → assigned → waiting (an agent replied; the customer's turn) → resolved → closed.
The customer answering an agent's reply brings the waiting ticket back to its agent (or, unassigned,
to its group); once resolved, their next questions go to the bot again. Each ticket is due within its SLA (hours per category or skill group, from config); an
open ticket past its due time is overdue. Plain agents see and change only their groups' tickets (and
those assigned to them); every change is one conditional UPDATE with its audit row in the same
transaction.
"""
from __future__ import annotations

import json
import time
from typing import List, Optional, Sequence

from sqlalchemy import bindparam, insert, or_, select, update

from bot.config import DeskConfig
from bot.store import ConversationStore, audit_log, desk_notes, serialised, tickets
from bot.store.audit_trail import record
from handoff.desk import DeskError
from knowledge_base.errors import Forbidden, InvalidInput, NotFound

STATUSES = ("new", "assigned", "waiting", "resolved", "closed")
OPEN = ("new", "assigned", "waiting")  # promised and not yet kept: these can be overdue
REOPENS = ("waiting",)  # the customer answering the agent's reply: it is theirs to act on again
CUSTOMER = "customer"  # the audit actor of what the customer did
# asked on every customer message the bot would answer: built once
LATEST_OF_SESSION = select(tickets).where(tickets.c.session_id == bindparam("session"),
                                          tickets.c.status != "closed").order_by(tickets.c.id.desc())


class TicketDesk:
    def __init__(self, store: ConversationStore, groups: Sequence[str], policy: DeskConfig = DeskConfig()):
        self.store = store
        self.engine = store.engine
        self._lock = store._lock
        self.groups = tuple(groups)
        self.policy = policy

    def sla_hours(self, group: str, category: str = "") -> float:
        """The category's promise (longest matching prefix), else the group's, else the default."""
        by_category = [(len(prefix), hours) for prefix, hours in self.policy.sla_by_category
                       if category and category.startswith(prefix)]
        if by_category:
            return max(by_category)[1]
        return dict(self.policy.sla_by_group).get(group, self.policy.sla_hours)

    @serialised
    def create(self, handoff: dict, text: str, contact: Sequence[str], customer_id: Optional[str] = None,
               category: str = "") -> dict:
        """The message the hand-off waited for, filed in its group with its due time."""
        now = time.time()
        due = now + self.sla_hours(handoff["group"], category) * 3600
        with self.engine.begin() as conn:
            ticket_id = int(conn.execute(insert(tickets).values(
                session_id=handoff["session_id"], created=now, updated=now, group=handoff["group"],
                rule=handoff["rule"], text=text, status="new", handoff_id=handoff["id"], priority=handoff["priority"],
                due=due, contact=json.dumps(list(contact), ensure_ascii=False), category=category or None,
                customer_id=customer_id).returning(tickets.c.id)).scalar_one())
            record(conn, CUSTOMER, "ticket.create", _target(ticket_id), {"group": handoff["group"], "due": due})
            return _ticket(conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first())

    # -- reading --------------------------------------------------------------------------------
    @serialised
    def ticket(self, ticket_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        return _ticket(row)

    def readable(self, ticket_id: int, agent: dict) -> dict:
        """The ticket, if this agent may see it: their group's or assigned to them (supervisors: all)."""
        ticket = self.ticket(ticket_id)
        if agent["role"] == "agent" and ticket["group"] not in agent["groups"] and ticket["agent_id"] != agent["id"]:
            raise Forbidden(f"ticket {ticket_id} belongs to group {ticket['group']!r}; you are in {agent['groups']}")
        return ticket

    @serialised
    def visible(self, agent: dict, statuses: Sequence[str] = OPEN + ("resolved",), limit: int = 200) -> List[dict]:
        """The tickets this agent may work on, the soonest due first (at most ``limit``)."""
        query = select(tickets).where(tickets.c.status.in_(list(statuses))).order_by(tickets.c.due, tickets.c.id) \
            .limit(limit)
        if agent["role"] == "agent":
            query = query.where(or_(tickets.c.group.in_(agent["groups"]), tickets.c.agent_id == agent["id"]))
        with self.engine.connect() as conn:
            return [_ticket(r) for r in conn.execute(query)]

    @serialised
    def of_session(self, session_id: str) -> Optional[dict]:
        """The session's newest ticket not yet closed."""
        with self.engine.connect() as conn:
            row = conn.execute(LATEST_OF_SESSION, {"session": session_id}).first()
        return _ticket(row) if row else None

    @serialised
    def of_customer(self, customer_id: str, limit: int = 20) -> List[dict]:
        query = select(tickets).where(tickets.c.customer_id == customer_id).order_by(tickets.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_ticket(r) for r in conn.execute(query)]

    @serialised
    def changes(self, ticket_id: int) -> List[dict]:
        """The ticket's audit trail, oldest first."""
        query = select(audit_log).where(audit_log.c.target == _target(ticket_id)).order_by(audit_log.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping, details=json.loads(r.details)) for r in conn.execute(query)]

    # -- changes --------------------------------------------------------------------------------
    def assign(self, ticket_id: int, agent: dict, assignee: Optional[dict] = None) -> dict:
        """Taken by ``agent`` (or given by a supervisor to ``assignee``, who must be in its group)."""
        ticket = self.readable(ticket_id, agent)
        to = assignee or agent
        if agent["role"] == "agent" and (assignee is not None and assignee["id"] != agent["id"]
                                         or ticket["agent_id"] not in (None, agent["id"])):
            raise Forbidden("only supervisors assign tickets to others, or take them from another agent")
        if to["role"] == "agent" and ticket["group"] not in to["groups"]:
            raise DeskError(f"{to['username']} is not in group {ticket['group']!r}")
        status = "assigned" if ticket["status"] == "new" else ticket["status"]
        return self._change(ticket_id, agent, OPEN, "ticket.assign", {"to": to["username"]},
                            agent_id=to["id"], status=status)

    def replied(self, ticket_id: int, agent: dict) -> dict:
        """An agent answered: the customer's turn (the ticket becomes the agent's if nobody had it)."""
        ticket = self.readable(ticket_id, agent)
        return self._change(ticket_id, agent, OPEN + ("resolved",), "ticket.reply", {},
                            status="waiting", agent_id=ticket["agent_id"] or agent["id"])

    def transfer(self, ticket_id: int, agent: dict, group: str, note: str) -> dict:
        """To another team, unassigned, with a note saying why (kept with the ticket, never shown to the customer)."""
        if group not in self.groups:
            raise DeskError(f"group {group!r}: choose one of {list(self.groups)}")
        if not note.strip():
            raise InvalidInput("note: say why the ticket moves, for the team that gets it")
        ticket = self.readable(ticket_id, agent)
        kept = dict(created=time.time(), author=agent["name"], ticket_id=ticket_id, session_id=ticket["session_id"],
                    customer_id=ticket["customer_id"], text=note.strip()[:2000])
        return self._change(ticket_id, agent, OPEN, "ticket.transfer", {"from": ticket["group"], "to": group,
                                                                        "note": note},
                            note=kept, group=group, agent_id=None, status="new")

    def resolve(self, ticket_id: int, agent: dict) -> dict:
        self.readable(ticket_id, agent)
        return self._change(ticket_id, agent, OPEN, "ticket.resolve", {}, status="resolved", done=time.time())

    def close(self, ticket_id: int, agent: dict) -> dict:
        self.readable(ticket_id, agent)
        return self._change(ticket_id, agent, OPEN + ("resolved",), "ticket.close", {}, status="closed",
                            done=time.time())

    def customer_replied(self, session_id: str) -> Optional[dict]:
        """The customer wrote again while the ticket waited on them: it reopens."""
        ticket = self.of_session(session_id)
        if ticket is None or ticket["status"] not in REOPENS:
            return None
        return self._change(ticket["id"], None, REOPENS, "ticket.reopen", {},
                            status="assigned" if ticket["agent_id"] else "new", done=None)

    @serialised
    def _change(self, ticket_id: int, agent: Optional[dict], allowed: Sequence[str], action: str, details: dict,
                note: Optional[dict] = None, **values) -> dict:
        """One conditional UPDATE (state, and for a plain agent the group or ownership, checked in it), its audit
        row and (``note``) the agent's note, in one transaction."""
        scope = ()
        if agent is not None and agent["role"] == "agent":
            scope = (or_(tickets.c.group.in_(agent["groups"]), tickets.c.agent_id == agent["id"]),)
        with self.engine.begin() as conn:
            done = conn.execute(update(tickets).where(tickets.c.id == ticket_id, tickets.c.status.in_(list(allowed)),
                                                      *scope).values(updated=time.time(), **values))
            if done.rowcount != 1:
                raise DeskError(f"ticket {ticket_id} is no longer {' or '.join(allowed)} (or no longer yours)")
            record(conn, agent["username"] if agent else CUSTOMER, action, _target(ticket_id),
                   dict(details, status=values.get("status")))
            if note is not None:
                conn.execute(insert(desk_notes).values(**note))
            return _ticket(conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first())


def _target(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def _ticket(row) -> dict:
    data = dict(row._mapping)
    data["contact"] = json.loads(data["contact"] or "[]")
    data["overdue"] = bool(data["due"] and data["status"] in OPEN and data["due"] < time.time())
    return data
