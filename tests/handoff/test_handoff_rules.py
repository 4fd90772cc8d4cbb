"""Transfer rules on the demo bot: which rule fires on which conversation, and no false hand-offs."""
from datetime import datetime, timezone

import pytest

from bot.service.chat import ChatSession
from bot.config import ConfigError, HandoffConfig, from_dict
from handoff.router import HandoffRouter
from handoff.rules import RuleSet
from handoff.schedule import BusinessHours
from handoff.settings import checked
from tests.conftest import demo_queries


class Queue:
    def __init__(self, online=1, waiting=0):
        self._online, self._waiting = online, waiting

    def online(self, group):
        return self._online

    def waiting(self, group):
        return self._waiting


@pytest.fixture(scope="module")
def router():
    return HandoffRouter.from_config(HandoffConfig())


def converse(bot, router, messages, attributes=None, channel="web", queue=None, now=None):
    """Send the messages in one session; the routing of each turn (None: no hand-off)."""
    session = ChatSession(bot, channel, router, attributes or {})
    return [session.send(m, now=now, queue=queue or Queue()).handoff for m in messages]


# (messages, attributes, rule expected on the last turn, group) — earlier turns must not hand off
CASES = [
    (["转人工"], {}, "explicit_request", "general"),
    (["帮我找客服"], {}, "explicit_request", "general"),
    (["I want to talk to a human"], {}, "explicit_request", "general"),
    (["我要投诉你们的快递员"], {}, "complaint_or_legal", "complaints"),
    (["再不给我处理我就打12315"], {}, "complaint_or_legal", "complaints"),
    (["我要找律师告你们"], {}, "complaint_or_legal", "complaints"),
    (["我的账号被盗了怎么办"], {}, "flagged_entry", "expert"),
    (["你们这什么垃圾服务，气死我了！！！"], {}, "angry_customer", "general"),
    (["量子力学的基本原理是什么", "今天股票会涨吗"], {}, "unanswered_twice", "general"),
    (["火星上能种土豆吗"], {"vip_level": 3}, "vip_not_answered", "expert"),
    (["怎么修改收货地址", "怎么修改收货地址"], {}, "asked_again", "general"),
]


@pytest.mark.parametrize("messages,attributes,rule,group", CASES, ids=[c[0][-1] for c in CASES])
def test_the_rule_that_fires(demo_bot, router, messages, attributes, rule, group):
    routings = converse(demo_bot, router, messages, attributes)
    assert routings[:-1] == [None] * (len(messages) - 1)
    assert routings[-1] is not None, f"no hand-off on {messages[-1]!r}"
    assert (routings[-1]["rule"], routings[-1]["group"]) == (rule, group)
    assert routings[-1]["ticket"] is False and routings[-1]["reason"]


def test_a_vip_level_below_the_rule_gets_no_expert(demo_bot, router):
    assert converse(demo_bot, router, ["火星上能种土豆吗"], {"vip_level": 1}) == [None]


def test_clarify_options_ignored_twice_hand_off(demo_bot):
    rules = RuleSet.parse([{"name": "ignored", "when": {"clarify_ignored": 2}, "then": {"group": "general"}}],
                          ["general"])
    router = HandoffRouter(rules, BusinessHours.parse("Asia/Shanghai", []), emotion=lambda text, vector: 0.0)
    session = ChatSession(demo_bot, "web", router)
    assert session.send("快递").decision == "clarify"
    assert session.send("快递").decision == "clarify"  # ignored once
    assert session.send("快递").handoff["rule"] == "ignored"  # ignored twice
    session = ChatSession(demo_bot, "web", router)
    session.send("快递")
    assert session.send("1").handoff is None  # an option taken is not ignored


def test_emotion_rising_over_three_messages(demo_bot):
    scores = iter([0.1, 0.4, 0.7])
    rules = RuleSet.parse([{"name": "rising", "when": {"emotion_rising": {"turns": 3, "by": 0.5}},
                            "then": {"group": "general"}}], ["general"])
    router = HandoffRouter(rules, BusinessHours.parse("Asia/Shanghai", []), emotion=lambda text, vector: next(scores))
    assert [r and r["rule"] for r in converse(demo_bot, router, ["运费多少", "还没到", "到底什么时候到"])] == \
        [None, None, "rising"]


def test_outside_business_hours_the_customer_can_leave_a_message(demo_bot):
    handoff = from_dict({"handoff": {"business_hours": {"timezone": "Asia/Shanghai", "open": ["mon-fri 09:00-18:00"],
                                                         "holidays": ["2026-10-01"]}}}).handoff
    router = HandoffRouter.from_config(handoff)
    saturday_noon = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
    monday_noon = datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)
    holiday_noon = datetime(2026, 10, 1, 4, 0, tzinfo=timezone.utc)
    for moment, ticket in ((saturday_noon, True), (monday_noon, False), (holiday_noon, True)):
        routing = converse(demo_bot, router, ["转人工"], now=moment)[0]
        assert routing["ticket"] is ticket, moment
    assert "outside business hours" in converse(demo_bot, router, ["转人工"], now=saturday_noon)[0]["reason"]


def test_no_agent_online_offers_a_ticket_or_queues_as_configured(demo_bot, router):
    assert converse(demo_bot, router, ["转人工"], queue=Queue(online=0))[0]["ticket"] is True
    waiting = HandoffRouter.from_config(HandoffConfig(when_unavailable="queue"))
    assert converse(demo_bot, waiting, ["转人工"], queue=Queue(online=0))[0]["ticket"] is False


def test_queue_state_and_channel_conditions(demo_bot):
    rules = RuleSet.parse([
        {"name": "busy", "when": [{"queue_at_least": {"group": "general", "n": 5}}, {"request": True}],
         "then": {"group": "general", "ticket": True}},
        {"name": "app_people", "when": {"all": [{"channel": ["app"]}, {"request": True}]},
         "then": {"group": "expert", "priority": 3}},
        {"name": "anyone", "when": {"request": True}, "then": {"group": "general"}}], ["general", "expert"])
    router = HandoffRouter(rules, BusinessHours.parse("UTC", []), emotion=lambda text, vector: 0.0)
    assert converse(demo_bot, router, ["转人工"], queue=Queue(waiting=9))[0]["rule"] == "busy"
    assert converse(demo_bot, router, ["转人工"], queue=Queue(waiting=9))[0]["ticket"] is True
    assert converse(demo_bot, router, ["转人工"], channel="app")[0]["group"] == "expert"
    assert converse(demo_bot, router, ["转人工"], channel="web")[0]["rule"] == "anyone"


def test_no_false_hand_off_on_ordinary_questions(demo_bot, router):
    """Every demo query about an ordinary topic, asked as a conversation's first message."""
    sensitive = {e.id for e in demo_bot.kb if e.handoff or e.category.startswith("闲聊/抱怨")}
    queries = demo_queries()
    ordinary = [q["text"] for q in queries if q.get("expected_id") and q["expected_id"] not in sensitive]
    handed = [(t, r["rule"]) for t in ordinary for r in converse(demo_bot, router, [t]) if r]
    assert len(handed) <= 0.02 * len(ordinary), handed


@pytest.mark.parametrize("rules,message", [
    ([{"name": "x", "when": {"fallback_in_row": 2}, "then": {}}], "unknown condition 'fallback_in_row'"),
    ([{"name": "x", "when": {"fallbacks_in_a_row": "two"}, "then": {}}], "rules[0].when.fallbacks_in_a_row"),
    ([{"name": "x", "when": {"request": True}, "then": {"group": "sales"}}], "'sales' is not a skill group"),
    ([{"name": "x", "when": {"request": True}, "then": {"priority": 11}}], "priority"),
    ([{"name": "x", "when": {"request": ["(unclosed"]}, "then": {}}], "not a valid pattern"),
    ([{"name": "x", "when": {"any": []}, "then": {}}], "non-empty list"),
    ([{"name": "x", "when": {"emotion_at_least": 1.5}, "then": {}}], "between 0 and 1"),
    ([{"name": "x", "when": {"request": True}, "then": {}}] * 2, "two rules are named 'x'"),
    ([{"when": {"request": True}, "then": {}}], "missing 'name'"),
    ([{"name": "x", "when": {"attribute": {"name": "vip"}}, "then": {}}], "exactly one of"),
])
def test_bad_rules_are_refused_at_load_with_their_place(rules, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        checked(from_dict({"handoff": {"rules": rules}}))


def test_bad_business_hours_are_refused_at_load():
    with pytest.raises(ConfigError, match="timezone"):
        checked(from_dict({"handoff": {"business_hours": {"timezone": "Mars/Base"}}}))
    with pytest.raises(ConfigError, match=r"open\[0\]"):
        checked(from_dict({"handoff": {"business_hours": {"open": ["weekdays 9-5"]}}}))
    with pytest.raises(ConfigError, match="holidays"):
        checked(from_dict({"handoff": {"business_hours": {"holidays": ["tomorrow"]}}}))


def test_a_rules_file_named_in_the_config(tmp_path):
    (tmp_path / "rules.yml").write_text("rules:\n  - {name: only, when: {request: true}, then: {group: general}}\n",
                                        encoding="utf-8")
    (tmp_path / "config.yml").write_text("handoff:\n  rules_file: rules.yml\n", encoding="utf-8")
    from bot.config import load_config
    from handoff.settings import rule_set

    assert [r.name for r in rule_set(load_config(tmp_path / "config.yml").handoff).rules] == ["only"]
