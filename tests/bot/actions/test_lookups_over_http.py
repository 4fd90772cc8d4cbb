"""Lookups through the customer API, on SQLite and PostgreSQL: the reply, /metrics, a hand-off on failure
carrying the result, and a slow order service that never delays another customer's reply."""
from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from bot.config import ServerConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base.environment import Environment
from tests.bot.actions.order_service import SECRET, actions_config, order_service
from tests.conftest import Customer, ROOT, add_staff, sign_in, wait_until


@pytest.fixture(scope="module")
def service():
    with order_service() as s:
        yield s


@pytest.fixture(scope="module")
def store(store_url):
    """One store (one connection pool) for the module's apps: the shared PostgreSQL has few connections to spare."""
    store = ConversationStore(store_url)
    yield store
    store.engine.dispose()


def app_for(bot, store, service, threads=2, **call):
    from bot.config import load_config

    handoff = load_config(ROOT / "config.yml").handoff
    app = create_app(bot, store, ServerConfig(answering_threads=threads), handoff,
                     environment=Environment(ROOT / ".cache" / "test", actions_secret=SECRET),
                     actions=actions_config(service.url, **call))
    if "boss" not in {a["username"] for a in app.state.conversations.desk.agents()}:  # the module shares its database
        add_staff(app, ("boss", "supervisor"))
    return app


def test_the_reply_carries_the_lookup_and_metrics_count_it(demo_bot, store, service):
    service.mode = "ok"
    with TestClient(app_for(demo_bot, store, service)) as client:
        reply = Customer(client, "lookup-http-1").say("帮我查下这单到哪了 202611230001")
        assert reply["lookup"]["result"]["status"] == "已发货，运输中" and "顺丰速运" in reply["text"]
        metrics = client.get("/metrics", headers=sign_in(client, "boss")).text
        assert 'faqbot_lookups_total{action="order_status",outcome="ok"} 1.0' in metrics


def test_a_failed_lookup_can_hand_off_and_the_agent_sees_what_was_looked_up(demo_bot, store, service):
    service.mode = "error"
    with TestClient(app_for(demo_bot, store, service, on_failure="handoff", retries=0)) as client:
        reply = Customer(client, "lookup-http-2").say("订单 202611230003 什么状态")
        assert reply["decision"] == "handoff" and reply["text"].startswith("抱歉，暂时没能为您查到结果")
        packet = client.get(f"/api/agent/handoffs/{reply['handoff']['handoff_id']}",
                            headers=sign_in(client, "boss")).json()
        [looked_up] = packet["packet"]["lookups"]
        assert (looked_up["inputs"], looked_up["outcome"]) == ({"order_number": "202611230003"}, "error")
        assert packet["rule"] == "lookup_failed"


def test_a_slow_order_service_never_delays_another_customers_reply(demo_bot, store, service):
    """One answering thread: the message waiting on the lookup lends its turn to the next customer."""
    service.mode, service.released = "slow", threading.Event()
    with TestClient(app_for(demo_bot, store, service, threads=1, timeout_seconds=30, retries=0)) as client:
        waiting = threading.Thread(target=Customer(client, "lookup-http-3").say, args=("帮我查下这单到哪了 202611230001",))
        waiting.start()
        wait_until(lambda: service.waiting == 1, 20, "the first customer's lookup waiting on the order service")
        other = Customer(client, "lookup-http-4").say("怎么开发票")
        assert other["entry_id"] == "invoice_how" and service.waiting == 1 and waiting.is_alive()
        service.released.set()
        waiting.join(20)
