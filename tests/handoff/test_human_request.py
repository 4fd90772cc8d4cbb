"""Asking for a person in other words hands off; the topic said with it picks the skill group; questions
about the service, or mentioning 客服 / 电话 / 人工 in other senses, do not hand off."""

import pytest

from bot.config import HandoffConfig
from bot.service.chat import ChatSession
from handoff.emotion import read_examples
from handoff.human_request import EXAMPLES, HumanRequestScorer, evaluate
from handoff.router import HandoffRouter
from tests.conftest import ROOT

HELD_OUT = ROOT / "tests" / "data" / "human_request_heldout.tsv"


@pytest.fixture(scope="module")
def router(demo_bot):
    return HandoffRouter.for_bot(HandoffConfig(), demo_bot)


def routing(bot, router, message):
    return ChatSession(bot, "web", router).send(message).handoff


def test_held_out_phrasings_are_not_in_the_training_examples():
    assert not set(read_examples(HELD_OUT)[0]) & set(read_examples(EXAMPLES)[0])


def test_the_scorer_recognises_held_out_requests_and_few_other_messages():
    result = evaluate(HumanRequestScorer.default(), HELD_OUT)
    assert result["recall"] >= 0.9 and result["false_positive_rate"] <= 0.1, result


@pytest.mark.parametrize("message", ["叫你们老板出来", "别用机器人糊弄我 我要找人", "留个人工的号码给我 我直接打",
                                     "I need to speak with a supervisor now", "能不能转个人工啊"])
def test_a_request_for_a_person_in_other_words_hands_off(demo_bot, router, message):
    handoff = routing(demo_bot, router, message)
    assert handoff and handoff["rule"] == "explicit_request"


@pytest.mark.parametrize("message", ["人工客服的热线号码是多少", "客服周日上班吗", "装空调要付人工费吗", "配送员电话打不通怎么办",
                                     "上次客服说三天内到账 现在还没到", "怎么修改订单里的联系电话"])
def test_questions_mentioning_the_service_or_a_phone_do_not_hand_off(demo_bot, router, message):
    assert routing(demo_bot, router, message) is None


@pytest.mark.parametrize("message", ["帮我写一段生日祝福", "帮我编个段子"])
def test_asking_the_bot_itself_for_something_off_topic_is_not_asking_for_a_person(demo_bot, router, message):
    assert routing(demo_bot, router, message) is None


@pytest.mark.parametrize("message, group", [("让专业的售后人员联系我 空调漏水", "expert"),
                                            ("叫个人工来帮我看看退款怎么还没到", "expert"),
                                            ("我要投诉 给我转人工", "complaints"),
                                            ("转人工", "general")])
def test_a_request_with_a_topic_goes_to_the_topics_group(demo_bot, router, message, group):
    handoff = routing(demo_bot, router, message)
    assert handoff["group"] == group, handoff["reason"]
    if handoff["rule"] == "explicit_request" and group != "general":
        assert "→ group" in handoff["reason"]  # the reason says what was recognised


def test_the_keyword_list_alone_when_the_learned_score_is_off(demo_bot):
    rules = [{"name": "explicit_request", "when": {"request": {"threshold": "off"}}, "then": {"group": "general"}}]
    keywords_only = HandoffRouter.for_bot(HandoffConfig(rules=tuple(rules)), demo_bot)
    assert routing(demo_bot, keywords_only, "叫你们老板出来") is None
    assert routing(demo_bot, keywords_only, "转人工")["rule"] == "explicit_request"
