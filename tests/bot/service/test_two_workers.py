"""Two `faqbot serve` processes on one PostgreSQL and one Redis, as behind a load balancer:
a version published through one is answered by both; a customer on one and an agent on the other
talk live; a rating written through either counts once."""
import json
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import DEMO, postgres_schema, redis_namespace, sign_in, wait_until
from tests.processes import REDIS_URL, start_worker, stop, write_config

NEW_QUESTION = "我下的单能不能改成寄到公司去"
ENTRY = "address_modify_before_ship"


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    options = ("--redis", REDIS_URL, "--demo-agents")
    with redis_namespace() as prefix, postgres_schema() as db:
        config = write_config(folder, curation={"reload_seconds": 30, "test_set": str(DEMO / "queries.jsonl")},
                              server={"redis_prefix": prefix})
        a, base_a = start_worker(config, db, folder / "a.log", *options)  # the first seeds and publishes v1
        b, base_b = start_worker(config, db, folder / "b.log", *options)
        try:
            yield base_a, base_b
        finally:
            stop(a)
            stop(b)


def _login(base: str, username: str, password: str) -> dict:
    with httpx.Client(base_url=base) as client:
        return sign_in(client, username, password)


def _ask(base: str, text: str, session: str) -> dict:
    return httpx.post(base + "/api/messages", json={"session_id": session, "text": text}, timeout=30).json()


def test_a_version_published_through_one_worker_is_answered_by_both(workers):
    a, b = workers
    trainer = _login(a, "trainer", "trainer-demo")
    assert httpx.post(f"{a}/api/trainer/entries/{ENTRY}/similar", headers=trainer,
                      json={"texts": [NEW_QUESTION]}).status_code == 200
    published = httpx.post(a + "/api/trainer/publish", headers=trainer, json={"note": "two workers"}, timeout=120)
    assert published.status_code == 200, published.text
    number = published.json()["number"]
    # the poll is every 30 s here: the Redis announcement does it
    wait_until(lambda: httpx.get(b + "/ready").json()["version"] == number, 10, f"worker B serves version {number}")
    for base in (a, b):
        reply = _ask(base, NEW_QUESTION, f"published-{base[-5:]}")
        assert (reply.get("decision"), reply.get("entry_id")) == ("answer", ENTRY), reply


def test_a_customer_on_one_worker_and_an_agent_on_the_other_talk_live_and_the_rating_counts_once(workers):
    a, b = workers
    agent = _login(b, "agent", "agent-demo")
    httpx.post(b + "/api/agent/status", headers=agent, json={"status": "online"})
    with connect(b.replace("http", "ws") + "/ws/agent") as desk, \
            connect(a.replace("http", "ws") + "/ws/two-workers-1") as customer:
        desk.send(json.dumps({"token": agent["Authorization"].split()[1]}))
        assert json.loads(desk.recv(10))["type"] == "ready"
        customer.send(json.dumps({"text": "转人工"}))
        queued = json.loads(customer.recv(30))
        assert queued["decision"] == "handoff" and queued["handoff"]["status"] == "queued"
        handoff = queued["handoff"]["handoff_id"]
        assert httpx.post(f"{b}/api/agent/handoffs/{handoff}/accept", headers=agent).status_code == 200
        assert _next(customer, "system")["text"]  # "agent 小王 is here", pushed from B to A's socket
        httpx.post(f"{b}/api/agent/handoffs/{handoff}/messages", headers=agent, json={"text": "您好，我是小王"})
        assert _next(customer, "agent")["text"] == "您好，我是小王"
        customer.send(json.dumps({"text": "我的快递三天没动了"}))
        assert _next(desk, "customer")["text"] == "我的快递三天没动了"
        httpx.post(f"{b}/api/agent/handoffs/{handoff}/close", headers=agent)
        survey = _next(customer, "survey")["survey"]
    owned = {"X-Session-Token": queued["session_token"]}  # issued by A, valid on B: one secret in the database
    rated = httpx.post(f"{b}/api/surveys/{survey}", json={"session_id": "two-workers-1", "csat": 5}, headers=owned)
    assert rated.status_code == 200
    again = httpx.post(f"{a}/api/surveys/{survey}", json={"session_id": "two-workers-1", "csat": 1}, headers=owned)
    assert again.status_code == 409
    boss = _login(a, "supervisor", "supervisor-demo")
    totals = httpx.get(a + "/api/report", params={"since": "1d"}, headers=boss).json()["totals"]
    assert totals["ratings"] == 1 and totals["csat_mean"] == 5


def _next(socket_, kind: str, timeout: float = 15) -> dict:
    """The next pushed event of ``kind`` (queue updates and others in between are skipped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        event = json.loads(socket_.recv(max(0.1, deadline - time.time())))
        if event.get("type") == kind:
            return event
    raise AssertionError(f"no {kind} event within {timeout} s")


def test_a_supervisor_on_one_worker_watches_whispers_to_and_takes_over_from_an_agent_on_the_other(workers):
    a, b = workers
    agent, boss = _login(b, "agent", "agent-demo"), _login(a, "supervisor", "supervisor-demo")
    httpx.post(b + "/api/agent/status", headers=agent, json={"status": "online"})
    with connect(b.replace("http", "ws") + "/ws/agent") as desk, connect(a.replace("http", "ws") + "/ws/agent") as console:
        for socket_, headers in ((desk, agent), (console, boss)):
            socket_.send(json.dumps({"token": headers["Authorization"].split()[1]}))
            assert json.loads(socket_.recv(10))["type"] == "ready"
        queued = _ask(a, "转人工", "two-workers-watched")
        handoff = queued["handoff"]["handoff_id"]
        assert httpx.post(f"{b}/api/agent/handoffs/{handoff}/accept", headers=agent).status_code == 200
        owned = {"X-Session-Token": queued["session_token"]}
        httpx.post(b + "/api/messages", json={"session_id": "two-workers-watched", "text": "还没好吗"}, headers=owned)
        assert _next(console, "activity")["session_id"] == "two-workers-watched"  # from B, on A's console
        whispered = httpx.post(f"{a}/api/supervisor/handoffs/{handoff}/whisper", headers=boss, json={"text": "先道歉"})
        assert whispered.status_code == 200
        assert _next(desk, "whisper")["text"] == "先道歉"
        assert httpx.post(f"{a}/api/supervisor/handoffs/{handoff}/take-over", headers=boss).status_code == 200
        assert _next(desk, "taken_over")["by"] == "主管"
