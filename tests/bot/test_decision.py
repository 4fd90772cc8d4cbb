"""The one decision site: reasons on every reply, no one-option "did you mean", rules that never
withhold a confident answer, and a left message that never swallows a question the bot can answer."""
import json

import pytest

from bot.config import HandoffConfig
from bot.service.chat import ChatSession
from bot.service.conversations import Conversations
from bot.store import ConversationStore
from handoff.router import HandoffRouter
from handoff.rules import RuleSet
from handoff.schedule import BusinessHours
from tests.conftest import DEMO

IGNORED = [{"name": "ignored", "when": {"clarify_ignored": 2}, "then": {"group": "general"}}]


def router_with(rules):
    return HandoffRouter(RuleSet.parse(rules, ["general", "complaints"]), BusinessHours.parse("Asia/Shanghai", []),
                         emotion=lambda text, vector: 0.9)


def demo_queries():
    return [json.loads(line)["text"] for line in (DEMO / "queries.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_reply_says_why_it_was_decided(demo_bot):
    for text in ("发票怎么开", "快递", "火星上能种土豆吗", ""):
        reply = demo_bot.respond(text)
        assert reply.reasons and all(isinstance(r, str) and r for r in reply.reasons), text


def test_no_clarification_offers_a_single_option(demo_bot):
    replies = [demo_bot.respond(text) for text in demo_queries()]
    clarified = [r for r in replies if r.decision == "clarify"]
    assert clarified, "the demo queries should still need some clarifications"
    assert [r.text for r in clarified if len(r.options) < 2] == []


def test_options_ignored_twice_never_withhold_a_confident_answer(demo_bot):
    session = ChatSession(demo_bot, "web", router_with(IGNORED))
    assert [session.send(text).decision for text in ("快递", "快递")] == ["clarify", "clarify"]
    reply = session.send("发票怎么开")  # the second ignored clarification, but a question the bot knows
    assert (reply.decision, reply.entry_id, reply.handoff) == ("answer", "invoice_how", None)
    assert "转人工" in reply.text and any("never withheld" in r for r in reply.reasons)
    session = ChatSession(demo_bot, "web", router_with(IGNORED))
    assert [session.send(text).decision for text in ("快递", "快递", "快递")] == ["clarify", "clarify", "handoff"]



def test_thanks_after_ignored_options_ends_the_conversation_instead_of_handing_it_over(demo_bot):
    session = ChatSession(demo_bot, "web", router_with(IGNORED))
    assert [session.send(text).decision for text in ("快递", "快递")] == ["clarify", "clarify"]
    reply = session.send("好的，谢谢你")  # the customer is done, whatever the options-ignored rule counts
    assert (reply.decision, reply.entry_id, reply.handoff) == ("answer", "chat_thanks", None)
    assert any("customer is done" in r for r in reply.reasons)


ANGRY = [{"name": "angry", "when": {"emotion_at_least": 0.5}, "then": {"group": "general"}}]


def test_one_upset_message_with_a_question_the_bot_knows_is_answered_and_a_person_offered(demo_bot):
    reply = ChatSession(demo_bot, "web", router_with(ANGRY)).send("气死了 你们这服务太差了 发票怎么开")
    assert (reply.decision, reply.entry_id, reply.handoff) == ("answer", "invoice_how", None)
    assert "转人工" in reply.text and any("rule angry" in r for r in reply.reasons)


def test_anger_that_lasts_hands_over_even_a_question_the_bot_could_answer(demo_bot):
    session = ChatSession(demo_bot, "web", router_with(ANGRY))
    assert session.send("气死了 你们这服务太差了 发票怎么开").decision == "answer"
    reply = session.send("服务太差了 气死我了 电子发票在哪下载")
    assert reply.decision == "handoff" and reply.handoff["rule"] == "angry"


def test_an_upset_message_that_asks_nothing_goes_to_a_person_though_the_bot_knows_its_topic(demo_bot):
    """A grievance is not a question: answering it with the coupon rules and a person offered misses the point."""
    reply = ChatSession(demo_bot, "web", router_with(ANGRY)).send("气死我了 优惠券用不了")
    assert demo_bot.respond("气死我了 优惠券用不了").entry_id == "coupon_not_applicable"  # the bot knows the topic
    assert reply.decision == "handoff" and reply.handoff["rule"] == "angry"


def test_an_upset_message_the_bot_cannot_answer_goes_to_a_person(demo_bot):
    reply = ChatSession(demo_bot, "web", router_with(ANGRY)).send("太让人失望了 你们一拖再拖")
    assert reply.decision == "handoff" and reply.handoff["rule"] == "angry"


def test_a_question_that_only_sounds_like_help_me_is_answered(demo_bot):
    rules = [{"name": "asked", "when": {"request": "default"}, "then": {"group": "general"}}]
    reply = ChatSession(demo_bot, "web", router_with(rules)).send("帮我看看 2025031899887766 到哪了")
    assert (reply.decision, reply.entry_id, reply.handoff) == ("answer", "shipping_tracking", None)


def test_a_request_for_a_person_hands_over_even_a_confident_answer(demo_bot):
    rules = [{"name": "asked", "when": {"request": "default"}, "then": {"group": "general"}}]
    reply = ChatSession(demo_bot, "web", router_with(rules)).send("转人工 发票怎么开")
    assert reply.decision == "handoff" and reply.handoff["rule"] == "asked"


@pytest.fixture()
def closed_desk(demo_bot, tmp_path):
    """Nobody online: a hand-off invites the customer to leave a message."""
    return Conversations.build(demo_bot, ConversationStore(str(tmp_path / "c.sqlite3")), HandoffConfig())


def test_a_question_sent_instead_of_a_left_message_is_answered_and_the_invitation_stays(closed_desk):
    invited = closed_desk.handle("night", "转人工")
    assert invited["handoff"]["status"] == "leave_message" and "联系方式" in invited["text"]
    answered = closed_desk.handle("night", "发票怎么开")
    assert (answered["type"], answered["entry_id"]) == ("bot", "invoice_how")
    saved = closed_desk.handle("night", "请回电 13812345678，订单一直没发货")
    assert saved["type"] == "system" and saved["ticket_id"] > 0


def test_a_statement_sent_as_the_left_message_is_filed_not_answered(closed_desk):
    closed_desk.handle("night-2", "转人工")
    kept = closed_desk.handle("night-2", "我的订单号是 2026")  # information for a person, not a question
    assert kept["type"] == "system" and kept["needs_contact"]  # kept, and the contact details asked for
    saved = closed_desk.handle("night-2", "13812345678")
    assert saved["type"] == "system" and saved["ticket_id"] > 0
    assert "我的订单号是 2026" in closed_desk.tickets.ticket(saved["ticket_id"])["text"]
