"""The customer's routes: messages over HTTP and WebSocket, history, surveys, suggestions, the welcome card, feedback.

Every message is stored before anything is sent back; pushes (agent messages, notices, the survey)
reach only the socket that owns the conversation.
"""
from __future__ import annotations

import asyncio
import json
from typing import List, Optional

from fastapi import APIRouter, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect

from bot.config import ServerConfig
from bot.http.answering import AnsweringPool
from bot.http.gatekeeper import (OTHER_CHANNELS, TOO_MANY, Gatekeeper, address, context_categories,
                                 customer_attributes)
from bot.http.schemas import MAX_TEXT, FeedbackIn, MessageIn, SurveyIn
from bot.messages import message
from bot.picks import pressed_person, select_payload
from bot.service.chat import PERSON_WORDS
from bot.service.conversations import Conversations, session_topic
from bot.service.customer_history import CustomerHistory
from bot.store import ConversationTaken

WELCOME_WINDOW_SECONDS = 7 * 24 * 3600  # "most asked" looks at the last week


def customer_router(conversations: Conversations, gate: Gatekeeper, answering: AnsweringPool,
                    settings: ServerConfig, groups: tuple = ()) -> APIRouter:
    """``groups``: the skill groups the first-screen menu may send a customer to."""
    router = APIRouter(tags=["customers"])
    store, hub = conversations.store, conversations.hub
    widget = settings.widget
    labels = widget.labels()
    shown = CustomerHistory(store, lambda: conversations.bot.kb, lambda text: labels.get(text, _person_label(text)))

    @router.post("/api/messages", summary="Send a customer message, get the bot's reply (or a receipt while an "
                                          "agent owns the conversation)")
    async def post_message(item: MessageIn, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        return await answering.run(answer, item, address(request), x_session_token)

    def answer(item: MessageIn, client: str, token: Optional[str]) -> dict:
        gate.limit(item.session_id, client)
        gate.owner(item.session_id[:128], token)  # only the browser that started it goes on with it
        starting = not gate.tokens.valid(item.session_id[:128], token)  # then the store decides who starts it
        reply = conversations.handle(item.session_id, item.text, item.channel, gate.customer(item.customer_id),
                                     customer_attributes(item.attributes), starting)
        return dict(reply, session_token=gate.tokens.issue(item.session_id[:128]))

    @router.websocket("/ws/{session_id}")
    async def conversation(websocket: WebSocket, session_id: str):
        """Send {"text": "..."}; receive the reply as the same JSON as /api/messages, and — pushed —
        agent messages, notices and the satisfaction survey (``type``: agent | system | survey)."""
        await websocket.accept()
        sending = asyncio.Lock()
        session_id = session_id[:128]
        if session_id.startswith(OTHER_CHANNELS):
            await websocket.close(code=4403, reason="this conversation belongs to another channel")
            return
        topic = session_topic(session_id)
        events, pusher = None, None
        try:
            while True:
                try:
                    data = json.loads(await websocket.receive_text())
                except (json.JSONDecodeError, KeyError, TypeError):
                    await websocket.send_json({"error": "send JSON text frames like {\"text\": \"...\"}"})
                    continue
                if events is None and isinstance(data, dict) and gate.tokens.valid(session_id, data.get("session_token")):
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
                client = websocket.client.host if websocket.client else "?"
                payload, new = await answering.run(answer_socket, session_id, data, client, events is not None)
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

    def answer_socket(session_id: str, data: dict, client: str, owner_socket: bool) -> tuple:
        """(what the socket sends, whether this message started the conversation)."""
        if not gate.allows_message(session_id, client):
            return {"error": TOO_MANY}, False
        customer, attributes = data.get("customer_id"), data.get("attributes")
        try:  # a socket that has not proved ownership may only start a new conversation: the store decides
            payload = conversations.handle(session_id, data["text"], str(data.get("channel", "web")),
                                           gate.customer(str(customer)[:300] if customer else None),
                                           customer_attributes(attributes if isinstance(attributes, dict) else None),
                                           starting=not owner_socket)
        except ConversationTaken:
            return {"error": "this conversation belongs to another browser"}, False
        return dict(payload, session_token=gate.tokens.issue(session_id)), not owner_socket

    @router.get("/api/sessions/{session_id}/messages", summary="The conversation so far (the widget restores it)")
    def history(session_id: str, after: int = Query(0, ge=0, le=2**63 - 1),
                x_session_token: Optional[str] = Header(None)) -> List[dict]:
        gate.owner(session_id[:128], x_session_token)
        return shown.view(session_id[:128], after)

    @router.post("/api/surveys/{survey_id}", summary="The customer's satisfaction rating after a hand-off")
    def rate(survey_id: int, rating: SurveyIn, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        gate.limit(rating.session_id, address(request))
        gate.owner(rating.session_id, x_session_token)
        conversations.rate(survey_id, rating.session_id, rating.csat, rating.nps, rating.comment)
        return {"status": "thanks"}

    @router.post("/api/sessions/{session_id}/leave-queue", summary="The customer stops waiting for an agent")
    def leave_queue(session_id: str, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        gate.limit(session_id[:128], address(request))
        gate.owner(session_id[:128], x_session_token)
        return conversations.leave_queue(session_id[:128])

    @router.get("/api/suggest", summary="Standard questions matching what the customer is typing")
    def suggest(request: Request, q: str = Query(..., max_length=200), limit: int = Query(5, ge=1, le=20)) -> List[dict]:
        gate.limit_reads(address(request))
        return [{"id": o.id, "question": o.question} for o in conversations.bot.suggest(q, limit)]

    @router.get("/api/welcome", summary="猜你想问: a welcome card of likely questions")
    def welcome(request: Request, categories: str = Query("", max_length=500, description="comma-separated context categories"),
                attributes: str = Query("", max_length=2000, description="customer attributes as a JSON object"),
                limit: int = Query(5, ge=1, le=20)) -> dict:
        gate.limit_reads(address(request))
        popular = store.popular_entries(WELCOME_WINDOW_SECONDS, 50)
        context = [c.strip() for c in categories.split(",")] + context_categories(attributes, settings)
        live = conversations.bot
        options = live.welcome(popular, context, limit)
        language = live.language if live.language != "auto" else "zh"
        return {"text": message("welcome", language),
                "language": live.language,  # zh | en | auto: an English KB's widget speaks English
                "questions": [{"id": o.id, "question": o.question, "payload": select_payload(o.id)}
                              for o in options],
                "person_button": widget.person_button, "file_types": list(widget.file_types),
                "menu": widget.buttons(live.kb, groups),
                "recent_order": _recent_order(conversations, attributes, language)}

    @router.post("/api/feedback", summary="Helpful / not helpful on a bot reply (training signal)")
    def feedback(item: FeedbackIn, request: Request, x_session_token: Optional[str] = Header(None)) -> dict:
        gate.limit(item.session_id, address(request))
        gate.owner(item.session_id, x_session_token)
        feedback_id = store.add_feedback(item.session_id, item.message_id, item.kind, "yes" if item.helpful else "no")
        return {"feedback_id": feedback_id}

    return router


async def _push(websocket: WebSocket, events: asyncio.Queue, sending: asyncio.Lock) -> None:
    """Forward hub events (agent messages, notices, surveys) to this socket as they come."""
    try:
        while True:
            event = await events.get()
            async with sending:
                await websocket.send_json(event)
    except (WebSocketDisconnect, RuntimeError):
        return


def _recent_order(conversations: Conversations, attributes: str, language: str) -> Optional[dict]:
    """The customer's recent order looked up for the welcome card (actions.welcome_action), if any."""
    if conversations.lookups is None or not attributes:
        return None
    given = json.loads(attributes)  # context_categories refused anything but a JSON object already
    return conversations.lookups.welcome(customer_attributes(given), language)


def _person_label(text: str):
    """The 转人工 button's payload shown as the button's words (None: not that button)."""
    return PERSON_WORDS["zh"] if pressed_person(text) is not None else None
