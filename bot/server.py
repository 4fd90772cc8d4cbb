"""HTTP API over the core: each route is one call of ``ChatSession.send``; errors map in one place.

A first slice of the conversation service: JSON messages, Rasa's REST channel contract, health and
readiness. Sessions live in memory for now (one process).
"""
from __future__ import annotations

from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .chat import ChatSession, select_payload
from .engine import Bot
from .reply import Reply

MAX_SESSIONS = 10_000


class MessageIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    text: str = Field(..., max_length=10_000)
    channel: str = Field("web", max_length=32)


class RasaMessageIn(BaseModel):
    sender: str = Field(..., min_length=1, max_length=128)
    message: str = Field(..., max_length=10_000)


class RasaButton(BaseModel):
    title: str
    payload: str


class RasaReply(BaseModel):
    recipient_id: str
    text: str
    buttons: List[RasaButton] = []
    custom: Dict = {}


def create_app(bot: Bot) -> FastAPI:
    app = FastAPI(title="faqbot", version=bot.manifest.get("faqbot_version", "0"),
                  description="Customer-service FAQ bot: answer, clarify or fall back.")
    sessions: Dict[str, ChatSession] = {}

    def session(session_id: str, channel: str) -> ChatSession:
        if session_id not in sessions and len(sessions) >= MAX_SESSIONS:
            sessions.pop(next(iter(sessions)))  # oldest first
        return sessions.setdefault(session_id, ChatSession(bot, channel))

    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError):
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.post("/api/messages", summary="Send a customer message, get the bot's reply")
    def post_message(message: MessageIn) -> dict:
        return session(message.session_id, message.channel).send(message.text).to_dict()

    @app.post("/webhooks/rest/webhook", response_model=List[RasaReply],
              summary="Rasa REST channel: widgets and scripts built for Rasa work unchanged")
    def rasa_webhook(message: RasaMessageIn) -> List[RasaReply]:
        return [to_rasa(message.sender, session(message.sender, "web").send(message.message))]

    @app.get("/health", summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", summary="Readiness: the model is loaded")
    def ready() -> dict:
        if not bot.kb:
            raise HTTPException(503, "no knowledge base loaded")
        return {"status": "ready", "entries": len(bot.kb), "encoder": bot.manifest.get("encoder"),
                "kb_hash": bot.manifest.get("kb_hash")}

    return app


def to_rasa(recipient: str, reply: Reply) -> RasaReply:
    """Options and related questions become buttons whose payload selects the entry."""
    offered = reply.options if reply.decision == "clarify" else reply.related
    options: Optional[list] = [o.id for o in reply.options] if reply.decision == "clarify" else []
    return RasaReply(recipient_id=recipient, text=reply.text,
                     buttons=[RasaButton(title=o.question, payload=select_payload(o.id)) for o in offered],
                     custom={"decision": reply.decision, "entry_id": reply.entry_id, "options": options})
