"""Rasa's REST channel (``POST /webhooks/rest/webhook``): widgets and scripts built for Rasa work unchanged."""
from __future__ import annotations

from typing import List

from fastapi import APIRouter, Request

from bot.http.answering import AnsweringPool
from bot.http.gatekeeper import Gatekeeper, address
from bot.http.schemas import RasaButton, RasaMessageIn, RasaReply
from bot.picks import select_payload
from bot.service.conversations import Conversations

RASA_SESSIONS = "rasa:"  # session ids of conversations that came through the Rasa REST channel


def rasa_router(conversations: Conversations, gate: Gatekeeper, answering: AnsweringPool) -> APIRouter:
    router = APIRouter(tags=["rasa"])

    @router.post("/webhooks/rest/webhook", response_model=List[RasaReply],
                 summary="Rasa REST channel: widgets and scripts built for Rasa work unchanged")
    async def rasa_webhook(item: RasaMessageIn, request: Request) -> List[RasaReply]:
        return await answering.run(answer, item, address(request))

    def answer(item: RasaMessageIn, client: str) -> List[RasaReply]:
        gate.limit(item.sender, client)
        # its own namespace: a Rasa sender id can never continue (or read) a widget's conversation
        payload = conversations.handle(RASA_SESSIONS + item.sender, item.message, "rasa")
        return to_rasa_messages(item.sender, payload) if payload["type"] in ("bot", "system") else []

    return router


def to_rasa_messages(recipient: str, payload: dict) -> List[RasaReply]:
    """A reply answering several questions is one message per question (its labelled answer), the
    rest of the reply (an offer of a person) and the related questions' buttons on the last."""
    texts = [part["text"] for part in payload.get("parts") or ()]
    if not texts or not payload["text"].startswith("\n".join(texts)):
        return [to_rasa(recipient, payload)]
    last = to_rasa(recipient, dict(payload, text=texts[-1] + payload["text"][len("\n".join(texts)):]))
    return [last.model_copy(update={"text": text, "buttons": []}) for text in texts[:-1]] + [last]


def to_rasa(recipient: str, payload: dict) -> RasaReply:
    """Options and related questions become buttons whose payload selects the entry."""
    clarify = payload.get("decision") == "clarify"
    offered = payload.get("options" if clarify else "related") or []
    return RasaReply(recipient_id=recipient, text=payload["text"],
                     buttons=[RasaButton(title=o["question"], payload=select_payload(o["id"])) for o in offered],
                     custom={"decision": payload.get("decision"), "entry_id": payload.get("entry_id"),
                             "message_id": payload["message_id"], "handoff": payload.get("handoff"),
                             "options": [o["id"] for o in payload.get("options") or []] if clarify else []})
