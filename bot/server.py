"""HTTP + WebSocket API over the core. Routes translate to ``Conversations`` calls; errors map here.

The customer side: JSON messages, a WebSocket per conversation (replies, and agent messages pushed
while a person owns it), Rasa's REST channel contract, suggestions, the welcome card, answer
feedback, satisfaction surveys. The agent side (workspace, dashboard, help-desk integration) is in
``agent_api``. Every message is stored before anything is sent back.
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Dict, List, Optional

from fastapi import FastAPI, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, OperationalError

from handoff.desk import AgentDesk, DeskError
from handoff.router import HandoffRouter
from handoff.webhooks import WebhookSender
from knowledge_base.loader import KBValidationError
from training.draft import EditConflict
from training.workbench import Workbench

from .agent_api import agent_router
from .answering import AnsweringPool
from .chat import select_payload
from .config import HandoffConfig, ServerConfig
from .conversations import Conversations, session_topic
from .engine import Bot
from .hub import EventHub
from .live import VERSIONS_TOPIC, LiveVersion
from .relay import RedisRelay, SharedRateLimiter
from .request_limits import RequestLimits
from .security_headers import SecurityHeaders
from .session_tokens import SessionTokens
from .messages import message
from .metrics import CONTENT_TYPE, Metrics
from .rate_limit import RateLimiter
from .store import ConversationStore
from .trainer_api import trainer_router

STATIC = Path(__file__).with_name("static")
RASA_SESSIONS = "rasa:"  # session ids of conversations that came through the Rasa REST channel
WELCOME_WINDOW_SECONDS = 7 * 24 * 3600  # "most asked" looks at the last week
READS_PER_MESSAGE = 10  # suggestion and welcome-card requests allowed per allowed message
MAX_TEXT = 10_000
TOO_MANY = "消息发送太频繁，请稍后再试。/ Too many messages, please wait a moment."


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
    customer_id: Optional[str] = Field(None, max_length=128, description="the host page's customer id")
    attributes: Optional[Dict] = Field(None, description="customer attributes, e.g. {\"vip_level\": 3}")


class SurveyIn(BaseModel):
    session_id: str = Field(..., min_length=1, max_length=128)
    csat: int = Field(..., ge=1, le=5)
    nps: Optional[int] = Field(None, ge=0, le=10)
    comment: str = Field("", max_length=2000)


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


def build_conversations(bot: Bot, store: ConversationStore, handoff: HandoffConfig) -> Conversations:
    """The service with its hand-off parts: rules, agent desk, event hub, webhooks, metrics."""
    desk = AgentDesk(store, handoff.groups)
    webhooks = WebhookSender(store, handoff.webhook.url, os.environ.get(handoff.webhook.secret_env, ""))
    return Conversations(bot, store, HandoffRouter.for_bot(handoff, bot), desk, EventHub(), webhooks,
                         handoff.survey, Metrics(desk))


def create_app(bot: Bot, store: Optional[ConversationStore] = None, settings: ServerConfig = ServerConfig(),
               handoff: HandoffConfig = HandoffConfig(), workbench: Optional[Workbench] = None,
               serving_version: Optional[int] = None) -> FastAPI:
    """The service around ``bot``. With a ``workbench`` (whose store must be ``store``), trainers
    curate and publish at /trainer and the server follows the live version (``bot`` being
    ``serving_version``)."""
    app = FastAPI(title="faqbot", version=bot.manifest.get("faqbot_version", "0"), responses=ERROR_RESPONSES,
                  description="Customer-service FAQ bot: answer, clarify, fall back or hand off to a person.")
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization", "X-Session-Token"])
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes, max_json_depth=settings.max_json_depth,
                       own_limits=("/api/trainer/import",))
    conversations = build_conversations(bot, store or ConversationStore(), handoff)
    tokens = SessionTokens.for_store(conversations.store)

    def owner(session_id: str, token: Optional[str]) -> None:
        """Only the browser holding the conversation's token reads, rates or votes on it."""
        if not tokens.valid(session_id, token) and conversations.store.session(session_id) is not None:
            raise PermissionError("this conversation belongs to another browser (X-Session-Token missing or wrong)")
    hub = conversations.hub
    limiter = _limiters(app, hub, settings.redis_url, settings.redis_prefix)
    app.include_router(agent_router(conversations, handoff, limiter))  # first: /ws/agent before /ws/{session_id}
    versions = None
    if workbench is not None:
        versions = LiveVersion(workbench.publisher, lambda new: conversations.switch(new, HandoffRouter.for_bot(
            handoff, new)), workbench.config.curation.reload_seconds, serving_version)
        hub.on(VERSIONS_TOPIC, versions.wake)
        app.include_router(trainer_router(conversations, workbench, versions))
        app.router.on_startup.append(versions.start)
        app.router.on_shutdown.append(versions.stop)
    answering = AnsweringPool(settings.answering_threads)
    per_session = limiter("session", settings.messages_per_minute_per_session)
    per_address = limiter("address", settings.messages_per_minute_per_address)
    # Suggestions fire while typing: a wider budget than messages, still bounded per address.
    per_address_reads = limiter("reads", READS_PER_MESSAGE * settings.messages_per_minute_per_address)

    def limit(session_id: str, address: str) -> None:
        if not per_address.allow(address) or not per_session.allow(session_id):
            raise TooManyMessages()

    @app.exception_handler(TooManyMessages)
    async def too_many(request: Request, exc: TooManyMessages):
        return JSONResponse(status_code=429, content={"detail": TOO_MANY})

    @app.exception_handler(KeyError)
    async def not_found(request: Request, exc: KeyError):
        return JSONResponse(status_code=404, content={"detail": exc.args[0] if exc.args else "not found"})

    @app.exception_handler(DeskError)
    async def conflict(request: Request, exc: DeskError):
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(EditConflict)
    async def edit_conflict(request: Request, exc: EditConflict):
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(KBValidationError)
    async def invalid_entry(request: Request, exc: KBValidationError):
        return JSONResponse(status_code=422, content={"detail": str(exc), "problems": [str(p) for p in exc.problems]})

    @app.exception_handler(ValueError)
    async def refused(request: Request, exc: ValueError):
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception):
        """An id or number no database column can hold: nothing by that number exists."""
        return JSONResponse(status_code=422, content={"detail": "a number in the request is out of range"})

    @app.exception_handler(OperationalError)
    async def database_away(request: Request, exc: OperationalError):
        """The database restarting or unreachable: nothing was accepted, the client may retry."""
        return JSONResponse(status_code=503, headers={"Retry-After": "2"},
                            content={"detail": "暂时无法处理，请稍后重试。/ Temporarily unavailable, please retry."})

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError):
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    @app.post("/api/messages", summary="Send a customer message, get the bot's reply (or a receipt while an "
                                       "agent owns the conversation)")
    async def post_message(message: MessageIn, request: Request,
                           x_session_token: Optional[str] = Header(None)) -> dict:
        return await answering.run(answer, message, _address(request), x_session_token)

    def answer(message: MessageIn, address: str, token: Optional[str]) -> dict:
        limit(message.session_id, address)
        owner(message.session_id[:128], token)  # only the browser that started it goes on with it
        reply = conversations.handle(message.session_id, message.text, message.channel, message.customer_id,
                                     _attributes(message.attributes))
        return dict(reply, session_token=tokens.issue(message.session_id[:128]))

    @app.websocket("/ws/{session_id}")
    async def conversation(websocket: WebSocket, session_id: str):
        """Send {"text": "..."}; receive the reply as the same JSON as /api/messages, and — pushed —
        agent messages, notices and the satisfaction survey (``type``: agent | system | survey)."""
        await websocket.accept()
        sending = asyncio.Lock()
        session_id = session_id[:128]
        topic = session_topic(session_id)
        events, pusher = None, None
        try:
            while True:
                try:
                    data = json.loads(await websocket.receive_text())
                except (json.JSONDecodeError, KeyError, TypeError):
                    await websocket.send_json({"error": "send JSON text frames like {\"text\": \"...\"}"})
                    continue
                if events is None and isinstance(data, dict) and tokens.valid(session_id, data.get("session_token")):
                    events = hub.subscribe(topic)  # pushes (agent messages, notices) only to the owner
                    pusher = asyncio.create_task(_push(websocket, events, sending))
                text = data.get("text") if isinstance(data, dict) else None
                if text is None and isinstance(data, dict) and "session_token" in data:
                    if events is None:
                        await websocket.send_json({"error": "this conversation belongs to another browser"})
                    continue  # a frame that only (tried to) prove ownership
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    await websocket.send_json({"error": f"send {{\"text\": ...}} of at most {MAX_TEXT} characters"})
                    continue
                address = websocket.client.host if websocket.client else "?"
                payload, new = await answering.run(answer_socket, session_id, data, address, events is not None)
                async with sending:
                    await websocket.send_json(payload)
                if new:  # this socket started the conversation: it is the owner
                    events = hub.subscribe(topic)
                    pusher = asyncio.create_task(_push(websocket, events, sending))
        except (WebSocketDisconnect, HTTPException):
            return
        finally:
            if pusher is not None:
                pusher.cancel()
                hub.unsubscribe(topic, events)

    def answer_socket(session_id: str, data: dict, address: str, owner_socket: bool) -> tuple:
        """(what the socket sends, whether this message started the conversation)."""
        if not per_address.allow(address) or not per_session.allow(session_id):
            return {"error": TOO_MANY}, False
        new = not owner_socket and conversations.store.session(session_id) is None
        if not owner_socket and not new:
            return {"error": "this conversation belongs to another browser"}, False
        customer, attributes = data.get("customer_id"), data.get("attributes")
        payload = conversations.handle(session_id, data["text"], str(data.get("channel", "web")),
                                       str(customer)[:128] if customer else None,
                                       _attributes(attributes if isinstance(attributes, dict) else None))
        return dict(payload, session_token=tokens.issue(session_id)), new

    @app.post("/webhooks/rest/webhook", response_model=List[RasaReply],
              summary="Rasa REST channel: widgets and scripts built for Rasa work unchanged")
    async def rasa_webhook(message: RasaMessageIn, request: Request) -> List[RasaReply]:
        return await answering.run(answer_rasa, message, _address(request))

    def answer_rasa(message: RasaMessageIn, address: str) -> List[RasaReply]:
        limit(message.sender, address)
        # its own namespace: a Rasa sender id can never continue (or read) a widget's conversation
        payload = conversations.handle(RASA_SESSIONS + message.sender, message.message, "rasa")
        return [to_rasa(message.sender, payload)] if payload["type"] in ("bot", "system") else []

    @app.get("/api/sessions/{session_id}/messages", summary="The conversation so far (the widget restores it)")
    def history(session_id: str, after: int = Query(0, ge=0, le=2**63 - 1),
                x_session_token: Optional[str] = Header(None)) -> List[dict]:
        owner(session_id[:128], x_session_token)
        return [dict({k: m[k] for k in ("id", "sender", "text", "decision", "entry_id", "author")},
                     **_notice(m["details"] if m["sender"] == "system" else None))
                for m in conversations.store.history(session_id[:128], after)]

    @app.post("/api/surveys/{survey_id}", summary="The customer's satisfaction rating after a hand-off")
    def rate(survey_id: int, rating: SurveyIn, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        limit(rating.session_id, _address(request))
        owner(rating.session_id, x_session_token)
        conversations.rate(survey_id, rating.session_id, rating.csat, rating.nps, rating.comment)
        return {"status": "thanks"}

    @app.get("/api/suggest", summary="Standard questions matching what the customer is typing")
    def suggest(request: Request, q: str = Query(..., max_length=200), limit: int = Query(5, ge=1, le=20)) -> List[dict]:
        if not per_address_reads.allow(_address(request)):
            raise TooManyMessages()
        return [{"id": o.id, "question": o.question} for o in conversations.bot.suggest(q, limit)]

    @app.get("/api/welcome", summary="猜你想问: a welcome card of likely questions")
    def welcome(request: Request, categories: str = Query("", max_length=500, description="comma-separated context categories"),
                attributes: str = Query("", max_length=2000, description="customer attributes as a JSON object"),
                limit: int = Query(5, ge=1, le=20)) -> dict:
        if not per_address_reads.allow(_address(request)):
            raise TooManyMessages()
        popular = conversations.store.popular_entries(WELCOME_WINDOW_SECONDS, 50)
        context = [c.strip() for c in categories.split(",")] + _context_categories(attributes, settings)
        live = conversations.bot
        options = live.welcome(popular, context, limit)
        return {"text": message("welcome", live.language if live.language != "auto" else "zh"),
                "questions": [{"id": o.id, "question": o.question, "payload": select_payload(o.id)}
                              for o in options]}

    @app.post("/api/feedback", summary="Helpful / not helpful on a bot reply (training signal)")
    def feedback(item: FeedbackIn, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        limit(item.session_id, _address(request))
        owner(item.session_id, x_session_token)
        feedback_id = conversations.store.add_feedback(item.session_id, item.message_id, "helpful",
                                                       "yes" if item.helpful else "no")
        return {"feedback_id": feedback_id}

    @app.get("/", include_in_schema=False)
    def shop_page() -> FileResponse:
        """A sample shop page with the widget embedded, as a customer sees it."""
        return FileResponse(STATIC / "shop.html")

    @app.get("/signin.js", include_in_schema=False)
    def signin_script() -> FileResponse:
        """The sign-in form of the workspace and the dashboard."""
        return FileResponse(STATIC / "signin.js", media_type="application/javascript")

    @app.get("/trainer.js", include_in_schema=False)
    def trainer_script() -> FileResponse:
        """The trainers' workbench (bot/static/trainer.html)."""
        return FileResponse(STATIC / "trainer.js", media_type="application/javascript")

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript")

    @app.get("/agent", include_in_schema=False)
    def agent_page() -> FileResponse:
        """The agent workspace."""
        return FileResponse(STATIC / "agent.html")

    @app.get("/trainer", include_in_schema=False)
    def trainer_page() -> FileResponse:
        """The trainers' workbench: curate, test, mine, publish."""
        return FileResponse(STATIC / "trainer.html")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page() -> FileResponse:
        """Outcome metrics for supervisors."""
        return FileResponse(STATIC / "dashboard.html")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(conversations.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/health", summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", summary="Readiness: the model is loaded")
    def ready() -> dict:
        live = conversations.bot
        if not live.kb:
            raise HTTPException(503, "no knowledge base loaded")
        return {"status": "ready", "entries": len(live.kb), "encoder": live.manifest.get("encoder"),
                "kb_hash": live.manifest.get("kb_hash"), "version": versions.current if versions else None}

    app.state.conversations = conversations
    app.state.versions = versions
    if conversations.webhooks.enabled:
        app.router.on_startup.append(conversations.webhooks.start)
        app.router.on_shutdown.append(conversations.webhooks.stop)
    return app


def _limiters(app: FastAPI, hub: EventHub, redis_url: Optional[str], prefix: str):
    """With Redis: events relayed between workers and rate limits counted together; else per process."""
    if not redis_url:
        return lambda name, per_minute: RateLimiter(per_minute)
    relay = RedisRelay(redis_url, hub.deliver, prefix)
    hub.relay = relay
    app.router.on_startup.append(relay.start)
    app.router.on_shutdown.append(relay.stop)
    return lambda name, per_minute: SharedRateLimiter(relay.client, name, per_minute, RateLimiter(per_minute),
                                                               prefix=prefix)


async def _push(websocket: WebSocket, events: asyncio.Queue, sending: asyncio.Lock) -> None:
    """Forward hub events (agent messages, notices, surveys) to this socket as they come."""
    try:
        while True:
            event = await events.get()
            async with sending:
                await websocket.send_json(event)
    except (WebSocketDisconnect, RuntimeError):
        return


def _attributes(given: Optional[dict]) -> Optional[dict]:
    """Customer attributes from the host page: a small flat mapping, nothing else."""
    if not given:
        return None
    if len(given) > 30 or len(json.dumps(given, ensure_ascii=False)) > 2000:
        raise HTTPException(422, "attributes: at most 30 keys and 2000 characters")
    return {str(k)[:64]: v for k, v in given.items() if isinstance(v, (str, int, float, bool)) or v is None}


def _notice(details: Optional[str]) -> dict:
    """A stored system notice's extras the widget needs (the survey invitation's id)."""
    data = json.loads(details) if details else {}
    return {"survey": data["survey"], "nps": data.get("nps", False)} if "survey" in data else {}


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


def to_rasa(recipient: str, payload: dict) -> RasaReply:
    """Options and related questions become buttons whose payload selects the entry."""
    clarify = payload.get("decision") == "clarify"
    offered = payload.get("options" if clarify else "related") or []
    return RasaReply(recipient_id=recipient, text=payload["text"],
                     buttons=[RasaButton(title=o["question"], payload=select_payload(o["id"])) for o in offered],
                     custom={"decision": payload.get("decision"), "entry_id": payload.get("entry_id"),
                             "message_id": payload["message_id"], "handoff": payload.get("handoff"),
                             "options": [o["id"] for o in payload.get("options") or []] if clarify else []})
