"""The workspace's assist panel, customer context and wrap-up; the trainers' canned-reply curation.

Agents reach what belongs to a hand-off they may read (their groups', their own; supervisors: all);
the wrap-up is for the agent who had the conversation. Canned replies are curated by trainers and admins.
"""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bot.config import HandoffConfig
from bot.http.staff_auth import curating, desk_staff
from bot.service.conversations import Conversations
from bot.service.desk_assist import DeskAssist


class NoteIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


class SuggestionIn(BaseModel):
    question: str = Field(..., min_length=1, max_length=500)
    answer: str = Field(..., min_length=1, max_length=5000)
    entry_id: Optional[str] = Field(None, max_length=255,
                                    description="a similar question of this entry; none: a new entry")


class WrapUpIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=64)
    resolved: bool
    note: str = Field("", max_length=2000)
    suggestion: Optional[SuggestionIn] = None


class CannedIn(BaseModel):
    group: str = Field(..., min_length=1, max_length=32)
    title: str = Field(..., min_length=1, max_length=64)
    text: str = Field(..., min_length=1, max_length=5000)


def assist_router(conversations: Conversations, handoff: HandoffConfig) -> APIRouter:
    router = APIRouter(tags=["agents"])
    desk = conversations.desk
    assist = DeskAssist(conversations, handoff.desk.contact_reasons)
    agent, trainer = desk_staff(desk), curating(desk)

    @router.get("/api/agent/assist/search", summary="Search the knowledge base as the bot does")
    def search(q: str = Query(..., min_length=1, max_length=500), channel: str = Query("default", max_length=32),
               me: dict = Depends(agent)) -> list:
        return assist.search(q, channel)

    @router.get("/api/agent/handoffs/{handoff_id}/candidates",
                summary="The bot's candidates for the customer's latest message, with this channel's answers")
    def candidates(handoff_id: int, me: dict = Depends(agent)) -> dict:
        return assist.candidates(desk.readable(handoff_id, me))

    @router.get("/api/agent/handoffs/{handoff_id}/canned", summary="常用语 of the group, variables filled in")
    def canned(handoff_id: int, me: dict = Depends(agent)) -> list:
        return assist.canned_for(desk.readable(handoff_id, me), me)

    @router.get("/api/agent/handoffs/{handoff_id}/customer",
                summary="Earlier conversations, tickets, ratings, attributes and internal notes of this customer")
    def customer(handoff_id: int, me: dict = Depends(agent)) -> dict:
        return assist.customer(desk.readable(handoff_id, me), me)

    @router.post("/api/agent/handoffs/{handoff_id}/notes", summary="An internal note (never shown to the customer)")
    def note(handoff_id: int, body: NoteIn, me: dict = Depends(agent)) -> dict:
        return assist.add_note(desk.readable(handoff_id, me), me, body.text)

    @router.get("/api/agent/handoffs/{handoff_id}/wrapup", summary="The wrap-up form's starting values")
    def wrap_up_form(handoff_id: int, me: dict = Depends(agent)) -> dict:
        return assist.wrap_up_form(desk.owned(handoff_id, me))

    @router.post("/api/agent/handoffs/{handoff_id}/wrapup",
                 summary="Contact reason, resolved or not, note; optionally a knowledge suggestion for trainers")
    def wrap_up(handoff_id: int, body: WrapUpIn, me: dict = Depends(agent)) -> dict:
        suggestion = body.suggestion.model_dump() if body.suggestion else None
        return assist.wrap_up(desk.owned(handoff_id, me), me, body.reason, body.resolved, body.note, suggestion)

    @router.get("/api/canned", summary="Canned replies (常用语) of every group, and the groups", tags=["trainers"])
    def canned_list(me: dict = Depends(trainer)) -> dict:
        return {"groups": list(desk.groups), "replies": assist.canned.listed()}

    @router.post("/api/canned", summary="A new canned reply", tags=["trainers"])
    def canned_add(body: CannedIn, me: dict = Depends(trainer)) -> dict:
        return assist.canned.save(body.group, body.title, body.text, me["username"])

    @router.post("/api/canned/{reply_id}", summary="Change a canned reply", tags=["trainers"])
    def canned_change(reply_id: int, body: CannedIn, me: dict = Depends(trainer)) -> dict:
        return assist.canned.save(body.group, body.title, body.text, me["username"], reply_id)

    @router.post("/api/canned/{reply_id}/delete", summary="Remove a canned reply", tags=["trainers"])
    def canned_remove(reply_id: int, me: dict = Depends(trainer)) -> dict:
        assist.canned.remove(reply_id, me["username"])
        return {"status": "removed"}

    return router
