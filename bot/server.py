"""HTTP + WebSocket API over the core. Routes translate to ``Conversations.handle``; errors map here.

A slice of the conversation service: JSON messages, a WebSocket per conversation, Rasa's REST
channel contract, input suggestions, answer feedback, health and readiness. Every customer message
and bot reply is stored (SQLite) before the reply is sent.
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Dict, List, Optional

from fastapi import FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from .chat import ChatSession, select_payload
from .config import ServerConfig
from .engine import Bot
from .messages import message
from .privacy import MaskingFilter
from .rate_limit import RateLimiter
from .reply import Reply
from .store import ConversationStore

STATIC = Path(__file__).with_name("static")
log = logging.getLogger("faqbot.conversations")
log.addFilter(MaskingFilter())  # customers type phone and card numbers; logs never keep them
MAX_SESSIONS = 10_000
WELCOME_WINDOW_SECONDS = 7 * 24 * 3600  # "most asked" looks at the last week
READS_PER_MESSAGE = 10  # suggestion and welcome-card requests allowed per allowed message
MAX_TEXT = 10_000
TOO_MANY = "消息发送太频繁，请稍后再试。/ Too many messages, please wait a moment."


class MessageIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    text: str = Field(..., max_length=MAX_TEXT)
    channel: str = Field("web", max_length=32)


class RasaMessageIn(BaseModel):
    sender: str = Field(..., min_length=1, max_length=128)
    message: str = Field(..., max_length=MAX_TEXT)


class FeedbackIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    message_id: int = Field(..., ge=1, le=2**63 - 1)
    helpful: bool


class RasaButton(BaseModel):
    title: str
    payload: str


class RasaReply(BaseModel):
    recipient_id: str
    text: str
    buttons: List[RasaButton] = []
    custom: Dict = {}


class Conversations:
    """Sessions in memory (their option state), every message in the store.

    Requests run in a thread pool: one lock per session keeps a customer's messages in order (a double
    click must not pick from the wrong option list); another guards the session table itself.
    """

    def __init__(self, bot: Bot, store: ConversationStore):
        self.bot = bot
        self.store = store
        self.sessions: Dict[str, ChatSession] = {}
        self.locks: Dict[str, threading.Lock] = {}
        self.last_bot_message: Dict[str, tuple] = {}  # session → (message id, decision)
        self._guard = threading.Lock()

    def handle(self, session_id: str, text: str, channel: str = "web") -> tuple:
        """(reply, stored id of the reply): the customer's message and the reply are committed first."""
        session_id, text, channel = _clean(session_id)[:128], _clean(text), _clean(channel)[:32] or "web"
        session, lock = self._session(session_id, channel)
        with lock:
            return self._handle(session, session_id, text, channel)

    def _handle(self, session: ChatSession, session_id: str, text: str, channel: str) -> tuple:
        self.store.ensure_session(session_id, channel)
        self.store.add_message(session_id, "customer", text)
        reply = session.send(text)
        previous = self.last_bot_message.get(session_id)
        if session.picked and previous and previous[1] == "clarify":
            self.store.add_feedback(session_id, previous[0], "clarify_choice", session.picked)
        message_id = self.store.add_message(session_id, "bot", reply.text, reply)
        self.last_bot_message[session_id] = (message_id, reply.decision)
        log.info("session=%s decision=%s entry=%s text=%s", session_id, reply.decision, reply.entry_id, text)
        return reply, message_id

    def _session(self, session_id: str, channel: str):
        with self._guard:
            if session_id not in self.sessions and len(self.sessions) >= MAX_SESSIONS:
                oldest = next(iter(self.sessions))
                for table in (self.sessions, self.locks, self.last_bot_message):
                    table.pop(oldest, None)
            session = self.sessions.setdefault(session_id, ChatSession(self.bot, channel))
            return session, self.locks.setdefault(session_id, threading.Lock())


def _clean(text: str) -> str:
    """NUL characters cannot be stored (PostgreSQL refuses them) and mean nothing in a message."""
    return text.replace("\x00", "")


def create_app(bot: Bot, store: Optional[ConversationStore] = None,
               settings: ServerConfig = ServerConfig()) -> FastAPI:
    app = FastAPI(title="faqbot", version=bot.manifest.get("faqbot_version", "0"),
                  description="Customer-service FAQ bot: answer, clarify or fall back.")
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    conversations = Conversations(bot, store or ConversationStore())
    per_session = RateLimiter(settings.messages_per_minute_per_session)
    per_address = RateLimiter(settings.messages_per_minute_per_address)
    # Suggestions fire while typing: a wider budget than messages, still bounded per address.
    per_address_reads = RateLimiter(READS_PER_MESSAGE * settings.messages_per_minute_per_address)

    def limit(session_id: str, address: str) -> None:
        if not per_address.allow(address) or not per_session.allow(session_id):
            raise TooManyMessages()

    @app.exception_handler(TooManyMessages)
    async def too_many(request: Request, exc: TooManyMessages):
        return JSONResponse(status_code=429, content={"detail": TOO_MANY})

    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError):
        return JSONResponse(status_code=404, content={"detail": exc.args[0] if exc.args else "not found"})

    @app.post("/api/messages", summary="Send a customer message, get the bot's reply")
    def post_message(message: MessageIn, request: Request) -> dict:
        limit(message.session_id, _address(request))
        reply, message_id = conversations.handle(message.session_id, message.text, message.channel)
        return dict(reply.to_dict(), message_id=message_id)

    @app.websocket("/ws/{session_id}")
    async def conversation(websocket: WebSocket, session_id: str):
        """Send {"text": "..."}; receive the reply as the same JSON as /api/messages."""
        await websocket.accept()
        try:
            while True:
                try:
                    data = json.loads(await websocket.receive_text())
                except (json.JSONDecodeError, KeyError, TypeError):
                    await websocket.send_json({"error": "send JSON text frames like {\"text\": \"...\"}"})
                    continue
                text = data.get("text") if isinstance(data, dict) else None
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    await websocket.send_json({"error": f"send {{\"text\": ...}} of at most {MAX_TEXT} characters"})
                    continue
                address = websocket.client.host if websocket.client else "?"
                if not per_address.allow(address) or not per_session.allow(session_id[:128]):
                    await websocket.send_json({"error": TOO_MANY})
                    continue
                reply, message_id = await run_in_threadpool(conversations.handle, session_id, text,
                                                            str(data.get("channel", "web")))
                await websocket.send_json(dict(reply.to_dict(), message_id=message_id))
        except WebSocketDisconnect:
            return

    @app.post("/webhooks/rest/webhook", response_model=List[RasaReply],
              summary="Rasa REST channel: widgets and scripts built for Rasa work unchanged")
    def rasa_webhook(message: RasaMessageIn, request: Request) -> List[RasaReply]:
        limit(message.sender, _address(request))
        reply, message_id = conversations.handle(message.sender, message.message)
        return [to_rasa(message.sender, reply, message_id)]

    @app.get("/api/sessions/{session_id}/messages", summary="The conversation so far (the widget restores it)")
    def history(session_id: str) -> List[dict]:
        return [{k: m[k] for k in ("id", "sender", "text", "decision", "entry_id")}
                for m in conversations.store.history(session_id[:128])]

    @app.get("/api/suggest", summary="Standard questions matching what the customer is typing")
    def suggest(request: Request, q: str = Query(..., max_length=200), limit: int = Query(5, ge=1, le=20)) -> List[dict]:
        if not per_address_reads.allow(_address(request)):
            raise TooManyMessages()
        return [{"id": o.id, "question": o.question} for o in bot.suggest(q, limit)]

    @app.get("/api/welcome", summary="猜你想问: a welcome card of likely questions")
    def welcome(request: Request, categories: str = Query("", max_length=500, description="comma-separated context categories"),
                attributes: str = Query("", max_length=2000, description="customer attributes as a JSON object"),
                limit: int = Query(5, ge=1, le=20)) -> dict:
        if not per_address_reads.allow(_address(request)):
            raise TooManyMessages()
        popular = conversations.store.popular_entries(WELCOME_WINDOW_SECONDS, 50)
        context = [c.strip() for c in categories.split(",")] + _context_categories(attributes, settings)
        options = bot.welcome(popular, context, limit)
        return {"text": message("welcome", bot.language if bot.language != "auto" else "zh"),
                "questions": [{"id": o.id, "question": o.question, "payload": select_payload(o.id)}
                              for o in options]}

    @app.post("/api/feedback", summary="Helpful / not helpful on a bot reply (training signal)")
    def feedback(item: FeedbackIn, request: Request) -> dict:
        limit(item.session_id, _address(request))
        feedback_id = conversations.store.add_feedback(item.session_id, item.message_id, "helpful",
                                                       "yes" if item.helpful else "no")
        return {"feedback_id": feedback_id}

    @app.get("/", include_in_schema=False)
    def shop_page() -> FileResponse:
        """A sample shop page with the widget embedded, as a customer sees it."""
        return FileResponse(STATIC / "shop.html")

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript")

    @app.get("/health", summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", summary="Readiness: the model is loaded")
    def ready() -> dict:
        if not bot.kb:
            raise HTTPException(503, "no knowledge base loaded")
        return {"status": "ready", "entries": len(bot.kb), "encoder": bot.manifest.get("encoder"),
                "kb_hash": bot.manifest.get("kb_hash")}

    app.state.conversations = conversations
    return app


class TooManyMessages(Exception):
    pass


def _context_categories(attributes: str, settings: ServerConfig) -> List[str]:
    """Categories for the customer attributes the page passed, by ``server.welcome_context``."""
    try:
        given = json.loads(attributes) if attributes else {}
    except json.JSONDecodeError:
        raise HTTPException(422, "attributes: not a JSON object")
    if not isinstance(given, dict):
        raise HTTPException(422, "attributes: not a JSON object")
    return [c for name, cats in settings.welcome_context if given.get(name) not in (None, "", False) for c in cats]


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def to_rasa(recipient: str, reply: Reply, message_id: int) -> RasaReply:
    """Options and related questions become buttons whose payload selects the entry."""
    clarify = reply.decision == "clarify"
    offered = reply.options if clarify else reply.related
    return RasaReply(recipient_id=recipient, text=reply.text,
                     buttons=[RasaButton(title=o.question, payload=select_payload(o.id)) for o in offered],
                     custom={"decision": reply.decision, "entry_id": reply.entry_id, "message_id": message_id,
                             "options": [o.id for o in reply.options] if clarify else []})
