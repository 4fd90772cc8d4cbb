"""The shapes of the customer API's requests and replies, as the OpenAPI spec at /docs shows them."""
from __future__ import annotations

from typing import Dict, List, Optional

from pydantic import BaseModel, Field

MAX_TEXT = 10_000  # characters of one message; longer ones are refused (422) before they are read


class Problem(BaseModel):
    detail: object = Field(..., description="why, for a person to read (or the validation errors)")


# Every route may answer these; each carries {"detail": …}.
ERROR_RESPONSES = {code: {"model": Problem, "description": why} for code, why in (
    (401, "sign in first"), (403, "not yours, or not your role"), (404, "no such thing"),
    (409, "conflicts with the current state"), (413, "request too large"), (422, "invalid request"),
    (429, "too many requests; wait a moment"), (503, "temporarily unavailable; retry"))}


class MessageIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    text: str = Field(..., max_length=MAX_TEXT)
    channel: str = Field("web", max_length=32)
    customer_id: Optional[str] = Field(None, max_length=200,
                                       description="the host page's customer id (id.hmac with FAQBOT_CUSTOMER_ID_SECRET)")
    attributes: Optional[Dict] = Field(None, description="customer attributes, e.g. {\"vip_level\": 3}")


class SurveyIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    csat: int = Field(..., ge=1, le=5)
    nps: Optional[int] = Field(None, ge=0, le=10)
    comment: str = Field("", max_length=2000)


class FeedbackIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    message_id: int = Field(..., ge=1, le=2**63 - 1)
    helpful: bool
    # "helpful": 👍/👎 on this answer; "resolved": 问题解决了吗？ at the end of a bot-only conversation (bot CSAT)
    kind: str = Field("helpful", pattern="^(helpful|resolved)$")


class RasaMessageIn(BaseModel):
    sender: str = Field(..., min_length=1, max_length=128)
    message: str = Field(..., max_length=MAX_TEXT)


class RasaButton(BaseModel):
    title: str
    payload: str


class RasaReply(BaseModel):
    recipient_id: str
    text: str
    buttons: List[RasaButton] = []
    custom: Dict = {}
