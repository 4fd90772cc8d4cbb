"""A server process answers a few customer messages at a time, in arrival order, and nothing else waits for them.
No sleeps: answering is held at a gate the test opens, and arrivals are counted as they reach the pool."""
import asyncio
import threading

import httpx
import pytest

from bot.http.answering import AnsweringPool
from bot.config import ServerConfig
from bot.http.app import create_app
from bot.store import ConversationStore

DEADLINE = 30  # seconds any one step may take on a loaded machine


def _gated(app, monkeypatch):
    """Conversations.handle waits at a gate; state: arrived (at the pool), started (order), most at once."""
    conversations = app.state.conversations
    real, lock = conversations.handle, threading.Lock()
    state = {"arrived": 0, "now": 0, "most": 0, "started": [], "gate": threading.Event()}

    def handle(session_id, text, *args):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            state["started"].append(int(text.split()[-1]))
        state["gate"].wait(DEADLINE)
        with lock:
            state["now"] -= 1
        return real(session_id, text, *args)

    pool_run = AnsweringPool.run

    async def run(self, function, *args):
        state["arrived"] += 1  # in the event loop: counted before it waits for a thread
        return await pool_run(self, function, *args)

    conversations.handle = handle
    monkeypatch.setattr(AnsweringPool, "run", run)
    return state


async def _until(condition, what):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {DEADLINE} s: {what}")
        await asyncio.sleep(0.005)


async def _burst(app, state, count: int, threads: int):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://faqbot", timeout=DEADLINE) as client:
        sent = []
        for n in range(count):  # one after another: each has reached the pool before the next is sent
            sent.append(asyncio.create_task(client.post("/api/messages", json={"session_id": f"burst-{n}",
                                                                              "text": f"怎么退货 {n}"})))
            await _until(lambda: state["arrived"] == n + 1, f"message {n} reaches the answering pool")
        await _until(lambda: state["now"] == min(threads, count), "the pool's threads all busy")
        health = await client.get("/health")  # answered while every answering thread is held at the gate
        busy_meanwhile = state["now"]
        state["gate"].set()
        codes = [r.status_code for r in await asyncio.gather(*sent)]
    return codes, health.status_code, busy_meanwhile


def test_a_burst_is_answered_two_at_a_time_in_arrival_order_while_other_requests_go_on(demo_bot, monkeypatch):
    app = create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=2))
    state = _gated(app, monkeypatch)
    codes, health, busy = asyncio.run(_burst(app, state, 6, 2))
    assert codes == [200] * 6
    assert state["most"] == 2  # never more than the pool, and it was used in full
    # the first to come, the first answered — up to which of the two threads freed at once starts first
    assert sorted(state["started"]) == list(range(6))
    assert all(abs(position - n) <= 1 for position, n in enumerate(state["started"])), state["started"]
    assert health == 200 and busy == 2  # /health did not queue behind the held messages


def test_one_thread_answers_one_message_at_a_time(demo_bot, monkeypatch):
    app = create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=1))
    state = _gated(app, monkeypatch)
    codes, _, _ = asyncio.run(_burst(app, state, 4, 1))
    assert codes == [200] * 4 and state["most"] == 1
    assert state["started"] == [0, 1, 2, 3]


def test_a_pool_without_threads_is_refused_with_the_setting_named(demo_bot):
    with pytest.raises(ValueError, match="answering_threads"):
        create_app(demo_bot, ConversationStore(), ServerConfig(answering_threads=0))
