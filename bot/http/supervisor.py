"""The supervisors' and quality reviewers' routes: the dashboard's data (metrics with labels and targets, hot
questions, Excel export), the live console (conversations, alerts, whisper, take over, reassign),
call-backs to unhappy customers with the comment digest, and quality inspection (sample, checks,
scorecard, appeals, knowledge suggestions).

Supervisors and admins see everything here; QA reviewers the quality routes; agents only their own
reviews (and appeal them). Staff sign in at /api/agent/login.
"""
from __future__ import annotations

import io
import math
from typing import Dict, List, Optional

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pydantic import BaseModel, Field

from bot.config import HandoffConfig
from bot.service.conversations import Conversations
from bot.http.staff_auth import with_role
from bot.service.supervision import Supervision
from handoff.follow_up import FollowUps
from handoff.metric_labels import kinds, labels
from handoff.quality import QualityInspection
from handoff.report import GROUPINGS, outcome_report
from handoff.targets import target_status
from training.hot_questions import hot_questions

SUPERVISORS = ("supervisor", "admin")
REVIEWERS = ("qa", "supervisor", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TextIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


class ReassignIn(BaseModel):
    agent_id: int = Field(..., ge=1)


class OutcomeIn(BaseModel):
    outcome: str = Field(..., min_length=1, max_length=2000)


class TableIn(BaseModel):
    title: str = Field("表格", max_length=64)
    header: List[str] = Field(..., max_length=100)
    rows: List[List[Optional[str]]] = Field(..., max_length=20_000)


class ReviewIn(BaseModel):
    scores: Dict[str, int]
    comment: str = Field("", max_length=2000)


class AppealDecisionIn(BaseModel):
    decision: str = Field(..., pattern="^(upheld|rejected)$")
    score: Optional[float] = Field(None, ge=0, le=100)


class SuggestIn(BaseModel):
    question: str = Field(..., min_length=1, max_length=500)
    answer: str = Field("", max_length=5000)


def supervisor_router(conversations: Conversations, handoff: HandoffConfig) -> APIRouter:
    router = APIRouter(tags=["supervision"])
    settings = handoff.supervision
    supervision = Supervision(conversations, settings)
    follow_ups = FollowUps(conversations.store, settings)
    quality = QualityInspection(conversations.store, settings)

    def staff(roles):
        return with_role(conversations.desk, roles, f"for {', '.join(roles)} only")

    boss, reviewer, anyone = staff(SUPERVISORS), staff(REVIEWERS), staff(("agent",) + REVIEWERS)

    # -- the dashboard --------------------------------------------------------------------------
    @router.get("/api/supervisor/report", summary="Metrics with Chinese labels, targets and their alerts")
    def report(since: str = Query("30d", max_length=32), by: Optional[str] = Query(None, pattern=_BY),
               channel: Optional[str] = Query(None, max_length=32), group: Optional[str] = Query(None, max_length=32),
               agent: Optional[str] = Query(None, max_length=64), me: dict = Depends(boss)) -> dict:
        data = outcome_report(conversations.store, since, by, handoff.first_contact_window_hours,
                              supervision=settings, channel=channel, group=group, agent=agent)
        return dict(data, labels=labels(), kinds=kinds(), targets=target_status(data["totals"], settings.targets),
                    groups=list(handoff.groups))

    @router.get("/api/supervisor/hot-questions", summary="热点问题 and unanswered questions per day")
    def hot(days: int = Query(14, ge=1, le=90), top: int = Query(10, ge=1, le=50), me: dict = Depends(boss)) -> dict:
        return hot_questions(conversations.store, conversations.bot.kb, days, top)

    @router.post("/api/supervisor/export.xlsx", summary="A table of the dashboard as an Excel file",
                 response_class=Response, responses={200: {"content": {XLSX: {}}, "description": "the workbook"}})
    def export(table: TableIn, me: dict = Depends(boss)) -> Response:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "".join(c for c in ILLEGAL_CHARACTERS_RE.sub("", table.title) if c not in "[]:*?/\\'")[:31] or "表格"
        sheet.append([_cell(v) for v in table.header])
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return Response(out.getvalue(), media_type=XLSX,
                        headers={"Content-Disposition": "attachment; filename=faqbot-table.xlsx"})

    # -- the live console -----------------------------------------------------------------------
    @router.get("/api/supervisor/live", summary="Every queued and active conversation, with alerts")
    def live(me: dict = Depends(boss)) -> dict:
        return dict(supervision.live(), staff=supervision.staff())

    @router.get("/api/supervisor/conversations/{session_id}", summary="Watch one conversation")
    def watch(session_id: str, me: dict = Depends(boss)) -> dict:
        return supervision.transcript(session_id[:128])

    @router.post("/api/supervisor/handoffs/{handoff_id}/whisper", summary="To the agent only, never the customer")
    def whisper(handoff_id: int, body: TextIn, me: dict = Depends(boss)) -> dict:
        return supervision.whisper(handoff_id, me, body.text)

    @router.post("/api/supervisor/handoffs/{handoff_id}/take-over")
    def take_over(handoff_id: int, me: dict = Depends(boss)) -> dict:
        return supervision.take_over(handoff_id, me)

    @router.post("/api/supervisor/handoffs/{handoff_id}/reassign")
    def reassign(handoff_id: int, body: ReassignIn, me: dict = Depends(boss)) -> dict:
        return supervision.reassign(handoff_id, me, body.agent_id)

    # -- follow-up ------------------------------------------------------------------------------
    @router.get("/api/supervisor/callbacks", summary="Call-back tasks for unhappy customers")
    def callbacks(status: str = Query("open", pattern="^(open|done|all)$"), me: dict = Depends(boss)) -> list:
        return follow_ups.tasks(None if status == "all" else status)

    @router.post("/api/supervisor/callbacks/{callback_id}", summary="Record the call's outcome")
    def called_back(callback_id: int, body: OutcomeIn, me: dict = Depends(boss)) -> dict:
        follow_ups.record(callback_id, body.outcome, me)
        return {"status": "done"}

    @router.get("/api/supervisor/digest", summary="One day's survey comments")
    def digest(day: str = Query(..., max_length=10), me: dict = Depends(boss)) -> dict:
        return follow_ups.digest(day)

    # -- quality inspection ---------------------------------------------------------------------
    @router.get("/api/qa/me", summary="Who is signed in (the QA page shows reviewers and agents different views)")
    def qa_me(me: dict = Depends(anyone)) -> dict:
        return dict(me, scorecard=quality.scorecard)

    @router.get("/api/qa/sample", summary="Closed conversations to inspect, with why each was sampled")
    def sample(days: int = Query(30, ge=1, le=365), me: dict = Depends(reviewer)) -> list:
        return quality.sample(days)

    @router.get("/api/qa/handoffs/{handoff_id}", summary="A conversation with the automatic checks and scorecard")
    def inspect(handoff_id: int, me: dict = Depends(reviewer)) -> dict:
        return quality.checks(handoff_id)

    @router.post("/api/qa/handoffs/{handoff_id}/review", summary="Score it on the scorecard")
    def review(handoff_id: int, body: ReviewIn, me: dict = Depends(reviewer)) -> dict:
        return quality.review(handoff_id, me, body.scores, body.comment)

    @router.get("/api/qa/reviews", summary="Reviews (agents: their own)")
    def reviews(appealed: bool = False, me: dict = Depends(anyone)) -> list:
        mine = me["id"] if me["role"] == "agent" else None
        return quality.reviews(agent_id=mine, appealed_only=appealed)

    @router.post("/api/qa/reviews/{review_id}/appeal", summary="The reviewed agent disagrees")
    def appeal(review_id: int, body: TextIn, me: dict = Depends(anyone)) -> dict:
        quality.appeal(review_id, me, body.text)
        return {"status": "pending"}

    @router.post("/api/qa/reviews/{review_id}/appeal-decision")
    def decide(review_id: int, body: AppealDecisionIn, me: dict = Depends(reviewer)) -> dict:
        quality.decide_appeal(review_id, me, body.decision, body.score)
        return {"status": body.decision}

    @router.post("/api/qa/reviews/{review_id}/suggestion", summary="A finding becomes a knowledge suggestion")
    def suggest(review_id: int, body: SuggestIn, me: dict = Depends(reviewer)) -> dict:
        return {"suggestion_id": quality.suggest_knowledge(review_id, me, body.question, body.answer)}

    return router


_BY = "^(" + "|".join(GROUPINGS) + ")$"


def _cell(value: Optional[str]):
    """Numbers as numbers (Excel sums them); text that would start a formula is kept as text; control
    characters a worksheet cannot hold are dropped."""
    if value is None:
        return None
    try:
        number = float(value)
        return number if math.isfinite(number) else value
    except ValueError:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + value if value[:1] in "=+-@" else value
