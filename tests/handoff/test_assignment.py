"""Agent status (logged), concurrent-chat limits, automatic assignment (least busy, round robin) and the
queue timeout that offers a left message — through the HTTP API, on SQLite and on the real PostgreSQL."""
import time

import pytest
from fastapi.testclient import TestClient

from bot.config import DeskConfig, HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from bot.service.queue_sweeper import QueueSweeper
from tests.conftest import Customer, add_staff, at_once, sign_in, wait_until

STAFF = (("wang", "agent", ["general"], "小王"), ("zhao", "agent", ["general"], "小赵"))


@pytest.fixture
def make_client(demo_bot, fresh_store_url):
    def make(**desk) -> TestClient:
        app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig(desk=DeskConfig(**desk)))
        add_staff(app, *STAFF)
        return TestClient(app)

    return make


def ask_for_person(client, session: str) -> dict:
    return Customer(client, session).say("转人工")["handoff"]


def served_by(client, headers) -> list:
    return [h["session_id"] for h in client.get("/api/agent/queue", headers=headers).json()["mine"]]


def test_an_agent_cannot_take_more_conversations_than_the_limit(make_client):
    client = make_client(max_chats=2)
    wang = sign_in(client, "wang", status="online")
    ids = [ask_for_person(client, f"limit-{n}")["handoff_id"] for n in range(3)]
    for handoff_id in ids[:2]:
        assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).status_code == 200
    refused = client.post(f"/api/agent/handoffs/{ids[2]}/accept", headers=wang)
    assert refused.status_code == 409 and "2" in refused.json()["detail"]
    client.post(f"/api/agent/handoffs/{ids[0]}/close", headers=wang)
    assert client.post(f"/api/agent/handoffs/{ids[2]}/accept", headers=wang).status_code == 200


def test_two_accepts_at_the_same_instant_never_take_an_agent_over_the_limit(make_client):
    client = make_client(max_chats=1)
    wang = sign_in(client, "wang", status="online")
    ids = [ask_for_person(client, f"race-{n}")["handoff_id"] for n in range(4)]
    codes = at_once(*(lambda h=h: client.post(f"/api/agent/handoffs/{h}/accept", headers=wang).status_code
                      for h in ids))
    assert sorted(codes) == [200, 409, 409, 409] and len(served_by(client, wang)) == 1


def test_least_busy_assignment_spreads_conversations_and_stops_at_every_limit(make_client):
    client = make_client(assignment="least_busy", max_chats=2)
    wang, zhao = sign_in(client, "wang", status="online"), sign_in(client, "zhao", status="online")
    for n in range(5):
        ask_for_person(client, f"auto-{n}")
    assert (len(served_by(client, wang)), len(served_by(client, zhao))) == (2, 2)
    waiting = client.get("/api/agent/queue", headers=wang).json()["groups"]["general"]
    assert [h["session_id"] for h in waiting] == ["auto-4"]  # everyone full: it waits in the queue
    first = client.get("/api/agent/queue", headers=wang).json()["mine"][0]["id"]
    client.post(f"/api/agent/handoffs/{first}/close", headers=wang)
    assert "auto-4" in served_by(client, wang)  # a freed place is filled at once


def test_round_robin_takes_turns_and_skips_busy_and_away_agents(make_client):
    client = make_client(assignment="round_robin", max_chats=5)
    wang, zhao = sign_in(client, "wang", status="online"), sign_in(client, "zhao", status="online")
    for n in range(4):
        ask_for_person(client, f"rr-{n}")
    assert sorted(served_by(client, wang) + served_by(client, zhao)) == ["rr-0", "rr-1", "rr-2", "rr-3"]
    assert len(served_by(client, wang)) == len(served_by(client, zhao)) == 2
    client.post("/api/agent/status", json={"status": "busy"}, headers=zhao)
    ask_for_person(client, "rr-4")
    assert "rr-4" in served_by(client, wang)
    desk = client.app.state.conversations.desk
    zhao_id = client.get("/api/agent/me", headers=zhao).json()["id"]
    assert [e["status"] for e in desk.status_log(zhao_id)] == ["online", "busy"]


def test_a_customer_queued_too_long_is_invited_to_leave_a_message_that_becomes_a_ticket(make_client):
    client = make_client(queue_timeout_minutes=5)
    wang = sign_in(client, "wang", status="online")  # on duty but not picking up
    customer = Customer(client, "slow")
    assert customer.say("转人工")["handoff"]["status"] == "queued"
    conversations = client.app.state.conversations
    assert conversations.time_out_queue() == []  # not yet five minutes
    [offered] = conversations.time_out_queue(now=time.time() + 5 * 60 + 1)
    assert "留言" in customer.history()[-1]["text"]
    assert client.get("/api/agent/queue", headers=wang).json()["groups"]["general"] == []
    saved = customer.say("等不了了，请回电 13812345678")
    assert saved["ticket_id"] > 0
    assert client.get(f"/api/agent/tickets/{saved['ticket_id']}", headers=wang).json()["handoff_id"] == offered


def test_an_agents_own_limit_wins_over_the_teams(make_client):
    client = make_client(max_chats=3)
    client.app.state.conversations.desk.add_agent("chen", "chen-password", "小陈", "agent", ["general"], max_chats=1)
    chen = sign_in(client, "chen", status="online")
    first, second = (ask_for_person(client, f"own-{n}")["handoff_id"] for n in range(2))
    assert client.post(f"/api/agent/handoffs/{first}/accept", headers=chen).status_code == 200
    assert client.post(f"/api/agent/handoffs/{second}/accept", headers=chen).status_code == 409


def test_the_sweeper_times_out_the_queue_without_anyone_asking(make_client):
    client = make_client(queue_timeout_minutes=0.01)  # 0.6 s
    sign_in(client, "wang", status="online")
    customer = Customer(client, "swept")
    assert customer.say("转人工")["handoff"]["status"] == "queued"
    sweeper = QueueSweeper(client.app.state.conversations, interval=0.05)
    sweeper.start()
    try:
        wait_until(lambda: "留言" in customer.history()[-1]["text"], 10, "the waiting customer invited to leave a message")
    finally:
        sweeper.stop()
