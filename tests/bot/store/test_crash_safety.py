"""kill -9 a worker while customer messages, agent replies and a satisfaction rating are in flight:
everything the clients were told was accepted is in the database afterwards (SQLite and PostgreSQL)."""
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.store import ConversationStore
from handoff.desk import AgentDesk
from tests.conftest import Crowd, sign_in, wait_until
from tests.processes import start_worker, stop, write_config


@pytest.fixture(scope="module")
def worker(store_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    config = write_config(folder, server={"messages_per_minute_per_address": 1_000_000})
    process, base = start_worker(config, store_url, folder / "worker.log", "--demo-agents")
    yield process, base
    stop(process)


def test_nothing_acknowledged_is_lost_when_the_worker_is_killed(worker, store_url):
    process, base = worker
    client = httpx.Client(base_url=base, timeout=10)
    agent = sign_in(client, "agent", "agent-demo", status="online")
    chat = client.post("/api/messages", json={"session_id": "crash-agent", "text": "转人工"}).json()
    handoff = chat["handoff"]["handoff_id"]
    client.post(f"/api/agent/handoffs/{handoff}/accept", headers=agent)
    rated = client.post("/api/messages", json={"session_id": "crash-rating", "text": "转人工"}).json()
    client.post(f"/api/agent/handoffs/{rated['handoff']['handoff_id']}/accept", headers=agent)
    client.post(f"/api/agent/handoffs/{rated['handoff']['handoff_id']}/close", headers=agent)
    survey = next(m["survey"] for m in client.get("/api/sessions/crash-rating/messages",
                                                  headers={"X-Session-Token": rated["session_token"]}).json()
                  if m.get("survey"))

    acknowledged = {"agent": [], "rating": []}
    stop = threading.Event()

    def agent_replies():
        with httpx.Client(base_url=base, timeout=10) as c:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    r = c.post(f"/api/agent/handoffs/{handoff}/messages", headers=agent, json={"text": f"回复{i}"})
                    if r.status_code == 200:
                        acknowledged["agent"].append(r.json()["message_id"])
                except httpx.HTTPError:
                    return

    def rating():
        wait_until(crowd.acknowledged, 30, "the first customer message acknowledged")  # in flight
        try:
            r = httpx.post(f"{base}/api/surveys/{survey}", json={"session_id": "crash-rating", "csat": 4},
                           headers={"X-Session-Token": rated["session_token"]}, timeout=10)
            if r.status_code == 200:
                acknowledged["rating"].append(4)
        except httpx.HTTPError:
            pass

    def customer_message(n, i):
        return f"crash-{n}", f"第{n}位客户的第{i}条消息：运费怎么算"

    with Crowd(base, customer_message, threads=5, stop_on_error=True, timeout=10) as crowd, \
            ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(agent_replies), pool.submit(rating)]
        wait_until(lambda: len(crowd.acknowledged()) > 10 and len(acknowledged["agent"]) > 5
                   and acknowledged["rating"], 60, "messages, agent replies and the rating acknowledged")
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, no flush: the process is gone
        process.wait(10)
        stop.set()
        for job in jobs:
            job.result()

    customer = crowd.acknowledged()
    bot = [s for s in customer if s.reply.get("type") == "bot"]  # later ones are relayed: the bot hands off repeats
    assert len(customer) > 10 and len(acknowledged["agent"]) > 5 and acknowledged["rating"] == [4]
    assert len(bot) >= 5
    store = ConversationStore(store_url)
    for session in {s.session for s in customer}:
        kept = {m["text"] for m in store.history(session) if m["sender"] == "customer"}
        assert {s.text for s in customer if s.session == session} <= kept
    for session in {s.session for s in bot}:  # every reply a customer was sent is stored as sent
        kept = {(m["id"], m["text"]) for m in store.history(session) if m["sender"] == "bot"}
        assert {(s.reply["message_id"], s.reply["text"]) for s in bot if s.session == session} <= kept
    agent_said = {m["id"] for m in store.history("crash-agent") if m["sender"] == "agent"}
    assert set(acknowledged["agent"]) <= agent_said
    survey_row = next(s for s in AgentDesk(store, ("general",)).surveys() if s["id"] == survey)
    assert survey_row["csat"] == 4
