"""The agents' side of the API: sign-in, presence, queue, the hand-off packet, messages, transfer,
close, tickets, the outcome report — and the signed endpoints a connected help desk calls instead.

Agents authenticate with a bearer token from ``/api/agent/login``; the report needs a supervisor or
admin. A help desk proves itself with the webhook secret (HMAC of timestamp and body).
"""
from __future__ import annotations

import asyncio
import math
import time
from typing import Awaitable, Callable, Optional

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.http.staff_auth import desk_staff, supervising
from handoff.report import GROUPINGS, outcome_report
from handoff.sign_in_guard import SignInGuard
from handoff.signed_calls import SignedCalls
from handoff.webhooks import verify

from bot.config import HandoffConfig
from bot.service.agent_actions import AgentActions
from bot.service.rate_limit import RateLimiter
from bot.service.conversations import DESK, SIGNED_OUT, Conversations, agent_topic, staff_topics
from bot.http.attachments import served
from bot.service.attachments import Attachments
from bot.store.customer_links import CustomerLinks
from bot.widget_settings import WidgetConfig


class LoginIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


class StatusIn(BaseModel):
    status: str = Field(..., pattern="^(online|busy|away|offline)$")


class TextIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=5000)


class TransferIn(BaseModel):
    group: str = Field(..., min_length=1, max_length=32)


class ActionIn(BaseModel):
    inputs: dict = Field(default_factory=dict)  # input name → value, e.g. {"order_number": "202611230001"}
    handoff_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)  # the conversation it is run for (audit row names it)


class DeskMessageIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=5000)
    author: str = Field("agent", max_length=64)


class CustomerLinkIn(BaseModel):
    """The shop knows who a channel's customer is: e.g. WeChat openid ``external_id`` is its customer ``customer_id``."""
    channel: str = Field(..., min_length=1, max_length=32)
    external_id: str = Field(..., min_length=1, max_length=128)
    customer_id: str = Field(..., min_length=1, max_length=128)


def agent_router(conversations: Conversations, handoff: HandoffConfig,
                 limiter: Callable[[str, int], RateLimiter] = lambda name, n: RateLimiter(n),
                 webhook_secret: str = "") -> APIRouter:
    """``limiter(name, per_minute)``: a rate limiter (shared between workers when they share Redis);
    ``webhook_secret``: what a connected help desk signs its calls with."""
    router = APIRouter()
    desk = conversations.desk
    replays = SignedCalls(conversations.store)  # a signed help-desk call is accepted once
    links = CustomerLinks(conversations.store)  # one customer across channels
    files = Attachments(conversations, WidgetConfig())  # reading them back needs no upload settings
    guard = SignInGuard(conversations.store)  # guessing a password gets slower; the agent is never locked out
    per_address = limiter("sign-in-address", SIGN_INS_PER_MINUTE * 6)  # a whole office signs in from one address

    agent = desk_staff(desk)
    supervisor = supervising(agent)

    @router.post("/api/agent/login", summary="Sign in; returns a bearer token", tags=["agents"])
    def login(credentials: LoginIn, request: Request) -> dict:
        address = request.client.host if request.client else "?"
        if not per_address.allow(address):
            raise HTTPException(429, "too many sign-in attempts from this address; wait a minute",
                                headers={"Retry-After": "60"})
        wait = guard.wait_seconds(credentials.username, address)
        if wait > 0:
            raise HTTPException(429, f"too many wrong passwords for this account from this address; "
                                     f"try again in {math.ceil(wait)} s", headers={"Retry-After": str(math.ceil(wait))})
        token = desk.login(credentials.username, credentials.password)
        if token is None:
            guard.failed(credentials.username, address)
            raise HTTPException(401, "wrong username or password")
        guard.succeeded(credentials.username, address)
        return {"token": token, "agent": desk.agent_for_token(token)}

    @router.post("/api/agent/logout", tags=["agents"])
    def logout(me: dict = Depends(agent), authorization: str = Header(...)) -> dict:
        desk.set_status(me["id"], "offline")
        desk.logout(authorization.removeprefix("Bearer ").strip())
        conversations.hub.publish(agent_topic(me["id"]), SIGNED_OUT)  # its open sockets close
        conversations.hub.publish(DESK, {"type": "queue"})
        return {"status": "signed out"}

    @router.get("/api/agent/me", tags=["agents"])
    def me(me: dict = Depends(agent)) -> dict:
        return me

    @router.post("/api/agent/status", summary="online | busy | away | offline", tags=["agents"])
    def status(body: StatusIn, me: dict = Depends(agent)) -> dict:
        desk.set_status(me["id"], body.status)
        conversations.hub.publish(DESK, {"type": "queue"})
        conversations.dispatch(me["groups"])  # automatic assignment: a returning agent gets the waiting
        return {"status": body.status}

    @router.get("/api/agent/queue", summary="Waiting conversations per group, mine, open tickets", tags=["agents"])
    def queue(me: dict = Depends(agent)) -> dict:
        groups = list(handoff.groups) if me["role"] != "agent" else me["groups"]
        waiting = desk.queue(groups)
        return {"groups": {g: [_summary(h) for h in waiting if h["group"] == g] for g in groups},
                "mine": [_summary(h) for h in desk.assigned(me["id"])],
                "tickets": conversations.tickets.visible(me),
                "online": {g: desk.online(g) for g in groups}, "all_groups": list(handoff.groups)}

    @router.get("/api/agent/handoffs/{handoff_id}", summary="The hand-off packet", tags=["agents"])
    def packet(handoff_id: int, me: dict = Depends(agent)) -> dict:
        desk.readable(handoff_id, me)
        return desk.packet(handoff_id)

    actions = AgentActions(conversations.lookups, conversations.store)

    @router.get("/api/agent/actions", summary="Lookups (and changes within the role's limits) this agent may run",
                tags=["agents"])
    def available_actions(me: dict = Depends(agent)) -> list:
        return actions.available(me)

    @router.post("/api/agent/actions/{name}", summary="Run a lookup or a change (audited) in the business's systems",
                 tags=["agents"])
    def run_action(name: str, body: ActionIn, me: dict = Depends(agent)) -> dict:
        if body.handoff_id is not None:
            desk.readable(body.handoff_id, me)
        return actions.run(me, name, body.inputs, body.handoff_id)

    @router.get("/api/agent/handoffs/{handoff_id}/conversations", tags=["agents"],
                summary="The customer's conversations on every channel (web, WeChat …), oldest first")
    def customer_conversations(handoff_id: int, me: dict = Depends(agent)) -> list:
        desk.readable(handoff_id, me)
        return links.conversations(desk.handoff(handoff_id)["session_id"])

    @router.get("/api/agent/handoffs/{handoff_id}/attachments/{attachment_id}", tags=["agents"],
                summary="A picture or file the customer sent in this conversation")
    def attachment(handoff_id: int, attachment_id: int, me: dict = Depends(agent)) -> Response:
        desk.readable(handoff_id, me)
        return served(files.get(attachment_id, desk.handoff(handoff_id)["session_id"]))

    @router.post("/api/agent/handoffs/{handoff_id}/accept", tags=["agents"])
    def accept(handoff_id: int, me: dict = Depends(agent)) -> dict:
        return _summary(conversations.accept(handoff_id, me))

    @router.post("/api/agent/handoffs/{handoff_id}/messages", tags=["agents"])
    def send(handoff_id: int, body: TextIn, me: dict = Depends(agent)) -> dict:
        return {"message_id": conversations.agent_message(handoff_id, me, body.text)}

    @router.post("/api/agent/handoffs/{handoff_id}/transfer", tags=["agents"])
    def transfer(handoff_id: int, body: TransferIn, me: dict = Depends(agent)) -> dict:
        return _summary(conversations.transfer(handoff_id, me, body.group))

    @router.post("/api/agent/handoffs/{handoff_id}/close", tags=["agents"])
    def close(handoff_id: int, me: dict = Depends(agent)) -> dict:
        return _summary(conversations.close(handoff_id, me))

    @router.get("/api/report", summary="Outcome metrics: CSAT, participation, NPS, transfer, self-service, FCR",
                tags=["report"])
    def report(since: str = Query("30d", max_length=32), by: Optional[str] = Query(None, pattern=_BY),
               channel: Optional[str] = Query(None, max_length=32), group: Optional[str] = Query(None, max_length=32),
               agent: Optional[str] = Query(None, max_length=64), me: dict = Depends(supervisor)) -> dict:
        return outcome_report(conversations.store, since, by, handoff.first_contact_window_hours,
                              supervision=handoff.supervision, channel=channel, group=group, agent=agent)

    @router.websocket("/ws/agent")
    async def events(websocket: WebSocket):
        """Desk changes for every agent; a customer's words only for who may read them: the agent
        owning the conversation, the agents of its group while it waits (supervisors and admins: every
        group). Trainers are refused. The socket closes when its token stops working (sign-out,
        expiry). The first frame is {"token": ...} (never in the URL, where access logs would keep it)."""
        await websocket.accept()
        token = await _token_frame(websocket)
        me = await run_in_threadpool(desk.agent_for_token, token) if token else None
        if me is None:
            await websocket.close(code=SIGNED_OUT_CODE)
            return
        topics = staff_topics(me, handoff.groups)
        if not topics:
            await websocket.close(code=FORBIDDEN_CODE, reason="the desk is for agents")
            return
        await websocket.send_json({"type": "ready"})
        queues = [conversations.hub.subscribe(t) for t in topics]
        try:
            await _forward(websocket, queues, lambda: run_in_threadpool(desk.token_expires, token))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for topic, q in zip(topics, queues):
                conversations.hub.unsubscribe(topic, q)
            await asyncio.sleep(AWAY_GRACE_SECONDS)  # a reload or a reconnect is not leaving
            if not conversations.hub.listeners(agent_topic(me["id"])):
                # the workspace was closed: nobody is there to pick up, so new hand-offs must not wait for them
                await run_in_threadpool(_away, me["id"])

    def _away(agent_id: int) -> None:
        if next(a for a in desk.agents() if a["id"] == agent_id)["status"] == "online":
            desk.set_status(agent_id, "away")
            conversations.hub.publish(DESK, {"type": "queue"})

    # -- a connected help desk (instead of the built-in workspace) -----------------------------
    async def signed(request: Request) -> bytes:
        body = await request.body()
        stamp, signature = request.headers.get("X-Faqbot-Timestamp", ""), request.headers.get("X-Faqbot-Signature", "")
        if not verify(webhook_secret, stamp, body, signature, request.method, request.url.path):
            raise HTTPException(401, "missing or wrong X-Faqbot-Signature "
                                     "(HMAC-SHA256 of timestamp.METHOD.path.body)")
        if not await run_in_threadpool(replays.first_time, signature, stamp):
            raise HTTPException(409, "this signed call was received before (a replay); "
                                     "sign each call with a new X-Faqbot-Timestamp")
        return body

    @router.post("/api/integrations/handoffs/{handoff_id}/messages", tags=["integration"],
                 summary="A help-desk agent's message to the customer (signed like the webhooks)")
    def desk_message(handoff_id: int, body: DeskMessageIn, _: bytes = Depends(signed)) -> dict:
        return {"message_id": conversations.agent_message(handoff_id, None, body.text, body.author)}

    @router.post("/api/integrations/customers/link", tags=["integration"],
                 summary="Link a channel's id of a customer (WeChat openid) to the shop's customer id (signed)")
    def link_customer(body: CustomerLinkIn, _: bytes = Depends(signed)) -> dict:
        links.link(body.channel, body.external_id, body.customer_id)
        return {"status": "linked"}

    @router.post("/api/integrations/handoffs/{handoff_id}/close", tags=["integration"],
                 summary="The help desk closed the conversation: the bot is back, the survey goes out")
    def desk_close(handoff_id: int, _: bytes = Depends(signed)) -> dict:
        return _summary(conversations.close(handoff_id, None))

    return router


SIGN_IN_SECONDS = 10
TOKEN_CHECK_SECONDS = 60
SIGNED_OUT_CODE, FORBIDDEN_CODE = 4401, 4403  # WebSocket close codes: like HTTP 401 and 403
SIGN_INS_PER_MINUTE = 10
AWAY_GRACE_SECONDS = 3
_BY = "^(" + "|".join(GROUPINGS) + ")$"


async def _token_frame(websocket: WebSocket) -> Optional[str]:
    """The token the page sends first, or None (nothing within SIGN_IN_SECONDS, or not a token)."""
    try:
        first = await asyncio.wait_for(websocket.receive_json(), SIGN_IN_SECONDS)
    except (asyncio.TimeoutError, ValueError, WebSocketDisconnect):
        return None
    token = first.get("token") if isinstance(first, dict) else None
    return token if isinstance(token, str) else None


async def _forward(websocket: WebSocket, queues, token_expires: Callable[[], Awaitable[Optional[float]]]) -> None:
    """Send events from any of ``queues``; notice the page going away; close the socket (4401) once
    its token stops working — checked when its owner signs out anywhere, every TOKEN_CHECK_SECONDS
    (a sign-out on a worker Redis did not reach) and at its expiry."""
    expires = await token_expires()
    receiver = asyncio.ensure_future(websocket.receive_text())
    getters = {asyncio.ensure_future(q.get()): q for q in queues}
    try:
        while expires is not None and expires > time.time():
            wait = min(TOKEN_CHECK_SECONDS, expires - time.time())
            done, _ = await asyncio.wait([receiver, *getters], timeout=max(wait, 0),
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                receiver.result()  # raises WebSocketDisconnect when the page closed
                receiver = asyncio.ensure_future(websocket.receive_text())
            events = []
            for task in done & set(getters):
                events.append(task.result())
                q = getters.pop(task)
                getters[asyncio.ensure_future(q.get())] = q
            if not done or SIGNED_OUT in events:
                expires = await token_expires()
                if expires is None or expires <= time.time():
                    break  # what arrived with the sign-out is not for a signed-out page
            for event in events:
                if event != SIGNED_OUT:
                    await websocket.send_json(event)
        await websocket.close(code=SIGNED_OUT_CODE, reason="signed out")
    finally:
        for task in [receiver, *getters]:
            task.cancel()


def _summary(handoff: dict) -> dict:
    return {k: v for k, v in handoff.items() if k != "packet"}
