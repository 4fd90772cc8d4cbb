"""A server process answers a few customer messages at a time, in arrival order, and nothing else waits for them."""
import asyncio
import threading
import time

import httpx
import pytest

from bot.config import ServerConfig
from bot.http.app import create_app
from bot.store import ConversationStore


def _slow_handle(app, seconds: float):
    """Conversations.handle that takes ``seconds``; returns (order answered, most at once)."""
    conversations = app.state.conversations
    real, lock, state = conversations.handle, threading.Lock(), {"now": 0, "most": 0, "order": []}

    def handle(session_id, text, *args):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(seconds)
        with lock:
            state["now"] -= 1
            state["order"].append(text)
        return real(session_id, text, *args)

    conversations.handle = handle
    return state


async def _burst(app, count: int):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://faqbot") as client:
        async def send(n):
            await asyncio.sleep(0.02 * n)  # they arrive in this order
            r = await client.post("/api/messages", json={"session_id": f"burst-{n}", "text": f"怎么退货 {n}"})
            return r.status_code

        async def health():
            await asyncio.sleep(0.1)  # while the messages are being answered
            started = time.perf_counter()
            r = await client.get("/health")
            return r.status_code, time.perf_counter() - started

        *codes, (status, waited) = await asyncio.gather(*(send(n) for n in range(count)), health())
    return codes, status, waited


def test_a_burst_is_answered_two_at_a_time_in_arrival_order_while_other_requests_go_on(demo_bot):
    app = create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=2))
    state = _slow_handle(app, 0.3)
    codes, status, waited = asyncio.run(_burst(app, 6))
    assert codes == [200] * 6
    assert state["most"] == 2  # never more than the pool, and it was used in full
    assert [int(t.split()[-1]) for t in state["order"]][:2] == [0, 1]  # the first to come, the first answered
    assert status == 200 and waited < 0.25  # /health did not queue behind six 0.3 s messages


def test_one_thread_answers_one_message_at_a_time(demo_bot):
    app = create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=1))
    state = _slow_handle(app, 0.1)
    codes, _, _ = asyncio.run(_burst(app, 4))
    assert codes == [200] * 4 and state["most"] == 1
    assert [int(t.split()[-1]) for t in state["order"]] == [0, 1, 2, 3]


def test_a_pool_without_threads_is_refused_with_the_setting_named(demo_bot):
    with pytest.raises(ValueError, match="answering_threads"):
        create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=0))
