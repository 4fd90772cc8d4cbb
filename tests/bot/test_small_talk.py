"""Built-in small talk: greetings, thanks, goodbyes and "are you a robot?" answered in Chinese and English on
any KB, overridable per KB, never standing in for a business question; closings end a conversation resolved."""
import json
from dataclasses import replace

import pytest

from bot.config import load_config
from bot.engine import Bot
from bot.service.chat import ChatSession
from knowledge_base.loader import load_kb
from training.trainer import train
from tests.conftest import MINI_KB

SMALL_TALK = [("在不在呀", "chat_greeting", "zh"), ("hi there", "chat_greeting", "en"), ("谢谢啦", "chat_thanks", "zh"),
              ("thank you so much", "chat_thanks", "en"), ("你是不是机器人", "chat_robot", "zh"),
              ("are you a bot?", "chat_robot", "en"), ("行 没事了 谢谢啊", None, "zh"), ("thanks, that's all", None, "en"),
              ("你多大了", "chat_personal", "zh")]
CLOSINGS = {"chat_thanks", "chat_goodbye"}


def _is_english(text):
    return not any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def plain_bot(tmp_path_factory):
    """A KB with no small talk of its own."""
    folder = tmp_path_factory.mktemp("plain")
    (folder / "kb.yml").write_text(MINI_KB, encoding="utf-8")
    return Bot.load(train(load_kb(folder / "kb.yml"), load_config(None), folder / "model", show_progress=False))


# A Chinese KB without small talk of its own learns its confidence from Chinese questions: English
# pleasantries beyond the plainest ("hi there") are not yet sure enough there (left for later).
CASES = [("demo_bot", *case) for case in SMALL_TALK] + [("plain_bot", *case) for case in SMALL_TALK
                                                       if case[2] == "zh" or case[0] == "hi there"]


@pytest.mark.parametrize("which, message, intent, language", CASES)
def test_small_talk_is_answered_in_the_customers_language_on_any_kb(request, which, message, intent, language):
    bot = request.getfixturevalue(which)
    reply = bot.respond(message)
    assert reply.decision == "answer", reply.reasons
    assert reply.entry_id == intent if intent else reply.entry_id in CLOSINGS
    assert _is_english(reply.text) == (language == "en"), reply.text


def test_a_kb_entry_with_a_builtin_id_overrides_its_answer(demo_bot):
    reply = demo_bot.respond("在吗")
    assert reply.entry_id == "chat_greeting" and "小优" in reply.text  # the demo shop's own greeting


def test_a_kb_can_retire_one_intent_or_opt_out_of_small_talk(tmp_path):
    retired = MINI_KB + "  - {id: chat_personal, question: 你多大了, answer: x, status: retired}\n"
    (tmp_path / "kb.yml").write_text(retired, encoding="utf-8")
    kb = load_kb(tmp_path / "kb.yml")
    with_intents = Bot.load(train(kb, load_config(None), tmp_path / "a", show_progress=False))
    assert with_intents.kb.get("chat_personal") is None and with_intents.kb.get("chat_greeting") is not None
    without = Bot.load(train(kb, load_config(None, {"chitchat": False}), tmp_path / "b", show_progress=False))
    assert not any(e.id.startswith("chat_") for e in without.kb)


@pytest.mark.parametrize("message, entry", [("谢谢 请问怎么退货", "return_how"), ("在吗 我的快递到哪了", "shipping_tracking"),
                                            ("你好，怎么开发票", "invoice_how")])
def test_a_business_question_wrapped_in_pleasantries_gets_its_business_entry(demo_bot, message, entry):
    reply = demo_bot.respond(message)
    assert reply.decision in ("answer", "clarify"), reply.reasons
    assert (reply.entry_id or reply.options[0].id) == entry


@pytest.mark.parametrize("message", ["退款", "怎么退货", "发票", "快递到哪了"])
def test_small_talk_is_never_offered_as_an_option_for_a_business_question(demo_bot, message):
    reply = demo_bot.respond(message)
    assert not any(o.id.startswith("chat_") for o in reply.options + reply.candidates)


def test_a_closing_ends_the_conversation_politely(demo_bot):
    session = ChatSession(demo_bot)
    session.send("怎么申请退货")
    reply = session.send("行 没事了 谢谢啊")
    assert reply.decision == "answer" and reply.entry_id in CLOSINGS
    assert session.topic is None  # nothing left to follow up on


def test_a_kb_question_that_is_also_a_built_in_phrasing_stays_the_kbs(tmp_path):
    """A bank KB whose own entry asks 你叫什么名字 trains: the built-in phrasing yields to it."""
    from knowledge_base.chitchat import builtin_chitchat, with_chitchat
    from knowledge_base.loader import load_kb

    greeting = builtin_chitchat().entries[0]
    (tmp_path / "kb.jsonl").write_text(
        json.dumps({"id": "own", "question": greeting.question, "similar": list(greeting.similar[:1])},
                   ensure_ascii=False) + "\n" +
        json.dumps({"id": "other", "question": "怎么转账"}, ensure_ascii=False) + "\n", encoding="utf-8")
    merged = with_chitchat(load_kb(tmp_path / "kb.jsonl"))
    owners = {}
    for entry in merged:
        for question in entry.questions:
            assert owners.setdefault(question, entry.id) == entry.id, f"{question!r} under two entries"
    assert owners[greeting.question] == "own"


@pytest.mark.parametrize("message", ["多谢多谢", "好嘞 谢谢亲", "解决了 谢谢你 再见"])
def test_a_message_made_of_pleasantries_is_answered_however_unsure_the_ranking(demo_bot, message):
    reply = demo_bot.respond(message)
    assert reply.decision == "answer" and reply.entry_id in ("chat_thanks", "chat_goodbye")


def test_a_greeting_before_something_the_bot_does_not_do_is_not_a_pleasantry(demo_bot):
    assert demo_bot.respond("你好 帮我写一首诗").decision == "fallback"


def test_only_a_courtesy_is_answered_on_weak_evidence_small_talk_about_the_bot_needs_the_clarify_threshold():
    """A greeting or goodbye answered wrongly costs a smile; "I'm a robot" told to someone who asked for the
    boss, or thanks for praise to someone demanding an explanation, costs the conversation."""
    import numpy as np

    from bot.decision import Analysis, DecisionPolicy

    policy = DecisionPolicy(answer_threshold=0.8, clarify_threshold=0.4)
    unsure = Analysis("…", np.array([0, 1]), np.array([0.3, 0.1]), 0.1, 0.3, small_talk=True)
    assert policy.decide(replace(unsure, courtesy=True)).kind == "answer"
    assert policy.decide(unsure).kind == "fallback"  # not understood, and never offered as options
    assert policy.decide(replace(unsure, options_confidence=0.45)).kind == "answer"


def test_a_question_about_the_company_is_not_told_the_bot_is_a_robot_and_a_hesitant_goodbye_is_answered(demo_bot):
    [boss] = demo_bot.analyse(["你们老板是谁"])
    assert demo_bot.decide(boss).kind == "fallback", demo_bot.decide(boss).reasons
    [done] = demo_bot.analyse(["目前没有了"])  # options confidence 0.44: under the clarify threshold
    assert (demo_bot.decide(done).kind, demo_bot.entry_ids(done)[0]) == ("answer", "chat_goodbye")
