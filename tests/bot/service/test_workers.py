"""Stateless workers: any worker can take a conversation's next message (options, turns and rules
carry over through the store), and Redis carries events and rate limits between workers — with
Redis away, a worker keeps serving on its own."""
import asyncio
import threading
import uuid

import pytest
import redis

from bot.config import HandoffConfig
from bot.service.hub import EventHub
from bot.service.rate_limit import RateLimiter
from bot.service.relay import RedisRelay, SharedRateLimiter
from bot.service.conversations import Conversations
from bot.store import ConversationStore
from tests.conftest import REDIS_URL, wait_until

NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture(scope="module")
def workers(store_url, demo_bot):
    """Two conversation services on one database, as two worker processes would be."""
    return [Conversations.build(demo_bot, ConversationStore(store_url), HandoffConfig()) for _ in range(2)]


def session() -> str:
    return "w-" + uuid.uuid4().hex[:10]


def test_an_option_offered_by_one_worker_is_picked_on_another(workers):
    a, b = workers
    s = session()
    offered = a.handle(s, "快递")
    assert offered["decision"] == "clarify"
    picked = b.handle(s, "2")
    assert (picked["decision"], picked["entry_id"]) == ("answer", offered["options"][1]["id"])
    assert b.store.feedback(offered["message_id"]) == [{"message_id": offered["message_id"],
                                                         "kind": "clarify_choice", "value": picked["entry_id"]}]


def test_transfer_rules_count_turns_answered_by_different_workers(workers):
    a, b = workers
    s = session()
    assert a.handle(s, "今天天气怎么样")["decision"] == "fallback"
    second = b.handle(s, "量子力学怎么学")
    assert second["decision"] == "handoff" and second["handoff"]["rule"] == "unanswered_twice"
    # nobody online: worker A takes it as the message left for agents (a question there would be answered)
    third = a.handle(s, "我的手机号是13800000000，麻烦尽快联系我")
    assert third["type"] == "system" and third["ticket_id"]


def test_events_published_on_one_worker_reach_a_socket_on_another():
    hubs = [EventHub(), EventHub()]
    relays = [RedisRelay(REDIS_URL, hub.deliver, prefix=f"faqbot-test-{uuid.uuid4().hex[:6]}:") for hub in hubs]
    relays[1].prefix = relays[0].prefix
    for hub, relay in zip(hubs, relays):
        hub.relay = relay
        relay.start()

    async def scenario():
        queue = hubs[1].subscribe("session:x")
        hubs[0].publish("session:x", {"type": "agent", "text": "您好"})
        return await asyncio.wait_for(queue.get(), 5)

    try:
        assert asyncio.run(scenario()) == {"type": "agent", "text": "您好"}
    finally:
        for relay in relays:
            relay.stop()


def test_without_redis_events_still_reach_this_workers_sockets():
    hub = EventHub()
    hub.relay = RedisRelay(NO_REDIS, hub.deliver)
    hub.relay.start()

    async def scenario():
        queue = hub.subscribe("session:y")
        hub.publish("session:y", {"type": "system", "text": "已转接"})
        return await asyncio.wait_for(queue.get(), 5)

    try:
        assert asyncio.run(scenario())["text"] == "已转接"
    finally:
        hub.relay.stop()


def test_two_workers_share_one_rate_limit_and_fall_back_to_their_own_without_redis():
    client = redis.Redis.from_url(REDIS_URL)
    name = "test-" + uuid.uuid4().hex[:6]
    limiters = [SharedRateLimiter(client, name, 5, RateLimiter(5)) for _ in range(2)]
    allowed = [limiters[i % 2].allow("customer-1") for i in range(8)]
    assert allowed == [True] * 5 + [False] * 3
    offline = SharedRateLimiter(redis.Redis.from_url(NO_REDIS, socket_connect_timeout=0.2), name, 2, RateLimiter(2))
    decisions = []  # each decided without waiting on the unreachable Redis for long
    threading.Thread(target=lambda: decisions.extend(offline.allow("k") for _ in range(3)), daemon=True).start()
    assert wait_until(lambda: len(decisions) == 3 and decisions, 5, "three requests decided without Redis") == \
        [True, True, False]


def test_a_worker_whose_redis_is_down_keeps_serving_on_its_own(demo_bot):
    import dataclasses

    from fastapi.testclient import TestClient

    from bot.config import ServerConfig
    from bot.http.app import create_app

    settings = dataclasses.replace(ServerConfig(), redis_url=NO_REDIS)
    with TestClient(create_app(demo_bot, ConversationStore(), settings)) as client:
        replies = [client.post("/api/messages", json={"session_id": f"alone-{n}", "text": "运费怎么算"})
                   for n in range(5)]
        assert [r.status_code for r in replies] == [200] * 5 and replies[0].json()["decision"] == "answer"
        with client.websocket_connect("/ws/alone-ws") as socket:
            socket.send_json({"text": "转人工"})
            assert socket.receive_json()["decision"] == "handoff"
