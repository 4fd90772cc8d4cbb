"""Tickets (留言 / 工单) in the workspace: list, read with the conversation, assign, reply, transfer with a
note, resolve, close. Plain agents reach only their groups' tickets and those assigned to them."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bot.http.staff_auth import desk_staff
from bot.service.conversations import Conversations
from knowledge_base.errors import NotFound


class ReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=5000)


class AssignIn(BaseModel):
    username: Optional[str] = Field(None, max_length=64)  # none: the caller takes it


class TicketTransferIn(BaseModel):
    group: str = Field(..., min_length=1, max_length=32)
    note: str = Field(..., min_length=1, max_length=2000)


def tickets_router(conversations: Conversations) -> APIRouter:
    router = APIRouter(tags=["tickets"])
    agent = desk_staff(conversations.desk)
    tickets, flow = conversations.tickets, conversations.ticketing

    @router.get("/api/agent/tickets", summary="Tickets I may work on, the soonest due first (overdue flagged)")
    def listing(me: dict = Depends(agent)) -> list:
        return tickets.visible(me)

    @router.get("/api/agent/tickets/{ticket_id}", summary="A ticket with its conversation and its changes")
    def read(ticket_id: int, me: dict = Depends(agent)) -> dict:
        ticket = tickets.readable(ticket_id, me)
        said = [{k: m[k] for k in ("id", "created", "sender", "text", "author", "decision", "entry_id")}
                for m in conversations.store.history(ticket["session_id"])]
        session = conversations.store.session(ticket["session_id"]) or {}
        return dict(ticket, transcript=said, changes=tickets.changes(ticket_id),
                    attributes=session.get("attributes", {}))

    @router.post("/api/agent/tickets/{ticket_id}/assign", summary="Take it (or, as a supervisor, give it to someone)")
    def assign(ticket_id: int, body: AssignIn = AssignIn(), me: dict = Depends(agent)) -> dict:
        to = None
        if body.username:
            to = next((a for a in conversations.desk.agents() if a["username"] == body.username), None)
            if to is None:
                raise NotFound(f"no agent {body.username!r}")
        return flow.changed(tickets.assign(ticket_id, me, to), "ticket.assigned")

    @router.post("/api/agent/tickets/{ticket_id}/reply", summary="Answer the customer (widget on return, webhook)")
    def reply(ticket_id: int, body: ReplyIn, me: dict = Depends(agent)) -> dict:
        return {"message_id": flow.reply(ticket_id, me, body.text), "ticket": tickets.ticket(ticket_id)}

    @router.post("/api/agent/tickets/{ticket_id}/transfer", summary="To another skill group, with a note")
    def transfer(ticket_id: int, body: TicketTransferIn, me: dict = Depends(agent)) -> dict:
        return flow.changed(tickets.transfer(ticket_id, me, body.group, body.note), "ticket.transferred")

    @router.post("/api/agent/tickets/{ticket_id}/resolve")
    def resolve(ticket_id: int, me: dict = Depends(agent)) -> dict:
        return flow.changed(tickets.resolve(ticket_id, me), "ticket.resolved")

    @router.post("/api/agent/tickets/{ticket_id}/close", summary="Close; the customer is asked to rate it")
    def close(ticket_id: int, me: dict = Depends(agent)) -> dict:
        return flow.close(ticket_id, me)

    return router
