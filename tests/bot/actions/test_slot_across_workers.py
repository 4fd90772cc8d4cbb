"""The question asking for an order number travels with the conversation: any worker reads the answer
for it, and none reads a later message for a question already passed — on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest

from bot.actions.lookups import Lookups
from bot.service.conversations import Conversations
from bot.store import ConversationStore
from tests.bot.actions.order_service import SECRET, actions_config, order_service


@pytest.fixture(scope="module")
def service():
    with order_service() as s:
        yield s


@pytest.fixture(scope="module")
def workers(demo_bot, store_url, service):
    """Two workers (services) sharing one database, as `faqbot serve --workers 2` runs them."""
    stores = [ConversationStore(store_url) for _ in range(2)]
    yield tuple(Conversations(demo_bot, s, lookups=Lookups.build(actions_config(service.url), SECRET)) for s in stores)
    for s in stores:
        s.engine.dispose()


def test_another_worker_reads_the_next_message_for_the_order_number(workers):
    first, second = workers
    session = f"slot-{uuid.uuid4().hex[:8]}"
    asked = first.handle(session, "我的快递到哪了", starting=True)
    assert asked["text"].startswith("请提供您的订单号") and asked["lookup"]["outcome"] == "asked"
    answered = second.handle(session, "202611230002")
    assert answered["lookup"]["outcome"] == "ok" and "待发货" in answered["text"]


def test_a_question_already_passed_is_not_read_for_by_a_worker_that_missed_it(workers):
    first, second = workers
    session = f"slot-{uuid.uuid4().hex[:8]}"
    first.handle(session, "我的快递到哪了", starting=True)
    second.handle(session, "怎么开发票")  # not the number: the question is passed
    later = first.handle(session, "202611230002")
    assert later.get("lookup") is None or later["lookup"]["outcome"] != "ok"
