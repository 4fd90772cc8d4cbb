"""A customer asks about an order; the demo shop's entry looks it up (or asks for the number) and says the result."""
from __future__ import annotations

import pytest

from bot.actions.lookups import Lookups
from bot.service.chat import ChatSession
from tests.bot.actions.order_service import SECRET, actions_config, order_service


@pytest.fixture(scope="module")
def service():
    with order_service() as s:
        yield s


@pytest.fixture
def chat(demo_bot, service):
    service.mode = "ok"
    counted = []
    session = ChatSession(demo_bot, "web", lookups=Lookups.build(
        actions_config(service.url, timeout_seconds=0.3, retries=0), SECRET, lambda a, o: counted.append((a, o))))
    session.counted = counted
    return session


def test_an_order_number_in_the_question_is_looked_up_and_its_status_said(chat):
    reply = chat.send("帮我查下这单到哪了 202611230001")
    assert reply.entry_id == "shipping_tracking"
    assert reply.text.startswith("您的订单 202611230001 已发货，运输中：顺丰速运承运")
    assert reply.lookup["outcome"] == "ok" and chat.counted == [("order_status", "ok")]


def test_full_width_digits_are_an_order_number_too(chat):
    assert "派送中" in chat.send("我的快递到哪了 ２０２６１１２３０００３").text


def test_a_missing_order_number_is_asked_for_and_read_from_the_next_message(chat):
    asked = chat.send("我的快递到哪了")
    assert asked.text.startswith("请提供您的订单号") and asked.lookup["outcome"] == "asked"
    answered = chat.send("202611230002")
    assert (answered.entry_id, answered.lookup["inputs"]) == ("shipping_tracking", {"order_number": "202611230002"})
    assert "待发货" in answered.text


def test_asking_for_the_number_can_be_cancelled(chat):
    chat.send("我的快递到哪了")
    assert chat.send("算了").text.startswith("好的，已取消查询")
    assert chat.pending is None


def test_another_question_instead_of_the_number_is_answered_as_itself(chat):
    chat.send("我的快递到哪了")
    reply = chat.send("怎么开发票")
    assert reply.entry_id == "invoice_how" and reply.lookup is None


def test_a_failed_lookup_is_said_politely_with_the_entrys_own_answer(chat, service):
    service.mode = "error"
    reply = chat.send("帮我查下这单到哪了 202611230001")
    assert reply.text.startswith("抱歉，暂时没能为您查到结果")
    assert chat.bot.kb["shipping_tracking"].answer_for() in reply.text
    assert chat.counted == [("order_status", "error")]


def test_an_order_that_does_not_exist_is_said_so(chat):
    assert chat.send("帮我查下这单到哪了 209911230001").text.startswith("没有查到 209911230001 的记录")


def test_a_transfer_rule_can_read_the_lookup_result(demo_bot, service):
    from bot.config import load_config
    from handoff.router import HandoffRouter
    from tests.conftest import ROOT

    service.mode = "ok"
    rules = [{"name": "big_order", "when": {"lookup": {"name": "amount", "at_least": 1000}},
              "then": {"group": "expert", "priority": 5}}]
    router = HandoffRouter.for_bot(load_config(ROOT / "config.yml", {"handoff.rules": rules}).handoff, demo_bot)
    chat = ChatSession(demo_bot, "web", router, lookups=Lookups.build(actions_config(service.url), SECRET))
    small = chat.send("帮我查下这单到哪了 202611230001")  # ¥259
    big = chat.send("帮我查下这单到哪了 202611230003")  # ¥1299
    assert small.decision == "answer"
    assert (big.decision, big.handoff["group"], big.handoff["rule"]) == ("handoff", "expert", "big_order")
    assert big.text.startswith("您的订单 202611230003 派送中")
