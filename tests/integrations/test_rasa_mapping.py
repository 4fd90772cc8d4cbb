"""The Rasa integration's plain-data parts, without Rasa: which intents are faqbot's, its Rasa data as a
knowledge base, its decisions as Rasa parse data, the conversation memory, button payloads."""
from __future__ import annotations

import re

import pytest

from bot.picks import SELECT_PREFIX
from bot.service.chat import ChatSession
from bot.reply import Option, Reply
from integrations.rasa.conversation_memory import history_rows, restored_session
from integrations.rasa.faq_intents import FaqIntents
from integrations.rasa.faq_knowledge_base import faq_knowledge_base
from integrations.rasa.names import SERVER_SELECT_PREFIX
from integrations.rasa.parse_data import faqbot_data, parse_fields
from integrations.rasa.payloads import rasa_button, select_button_payload, text_for_faqbot
from integrations.rasa.settings import ComponentSettings

RETRIEVAL, PREFIX = ComponentSettings(), ComponentSettings(intents="faq_")
INTENT_OF = {"refund": "faq/refund", "shipping": "faq/shipping"}
CANDIDATES = [Option("refund", "怎么退款", 0.9), Option("shipping", "多久发货", 0.1)]


def reply(decision, entry_id=None, options=(), handoff=None, confidence=0.9):
    return Reply(decision, "text", entry_id, options=list(options), candidates=CANDIDATES, confidence=confidence,
                 handoff=handoff)


@pytest.mark.parametrize("pattern, example, full, owned", [
    ("faq/", {"intent": "faq", "intent_response_key": "faq/refund"}, "faq/refund", ["faq", "faq/refund"]),
    ("faq/", {"intent": "greet"}, None, ["faq", "faq/refund"]),
    ("faq_", {"intent": "faq_refund"}, "faq_refund", ["faq_refund"]),
    ("faq_", {"intent": "faq", "intent_response_key": "faq/refund"}, None, ["faq_refund"]),
])
def test_faq_intents_are_a_retrieval_intent_or_a_prefix(pattern, example, full, owned):
    intents = FaqIntents(pattern)
    assert intents.full_name(example["intent"], example.get("intent_response_key")) == full
    assert [i for i in ("faq", "faq/refund", "faq_refund", "greet") if intents.owns(i)] == owned


@pytest.mark.parametrize("config, problem", [
    ({"intent": "faq/"}, "unknown option(s) ['intent']; allowed:"),
    ({"keep_intents_above": 2}, "keep_intents_above must be a number in [0, 1]"),
    ({"transfer_rules": "yes"}, "transfer_rules must be true or false"),
    ({"intents": "faq/refund"}, "neither a retrieval intent"),
])
def test_component_settings_name_the_bad_option(config, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        ComponentSettings.from_rasa(config)


def test_rasa_training_data_becomes_a_knowledge_base_with_faqbots_metadata():
    examples = [
        {"text": "怎么退款", "intent": "faq", "intent_response_key": "faq/refund",
         "metadata": {"intent": {"faqbot": {"id": "refund", "category": "售后/退款", "handoff": True}}}},
        {"text": "退款流程", "intent": "faq", "intent_response_key": "faq/refund"},
        {"text": "你好", "intent": "greet"},
        {"text": "多久发货", "intent": "faq", "intent_response_key": "faq/shipping"},
    ]
    responses = {"utter_faq/refund": [{"text": "原路退回"}, {"text": "App 里点退款", "channel": "app"}],
                 "utter_greet": [{"text": "您好"}]}
    kb, intent_of = faq_knowledge_base(examples, responses, FaqIntents("faq/"))
    assert intent_of == {"refund": "faq/refund", "shipping": "faq/shipping"}
    refund = kb["refund"]
    assert (refund.question, refund.similar, refund.category, refund.handoff) == ("怎么退款", ("退款流程",), "售后/退款", True)
    assert refund.answer == {"default": "原路退回", "app": "App 里点退款"}


def test_training_data_without_faq_intents_says_which_it_looked_for():
    with pytest.raises(ValueError, match="intents starting with 'faq_'"):
        faq_knowledge_base([{"text": "你好", "intent": "greet"}], {}, FaqIntents("faq_"))


def test_answer_sets_the_retrieval_intent_and_the_response_selector():
    data = faqbot_data(reply("answer", "refund"), INTENT_OF)
    fields = parse_fields(data, RETRIEVAL, {"utter_faq/refund": [{"text": "原路退回"}]})
    assert fields["intent"] == {"name": "faq", "confidence": 0.9}
    assert [r["name"] for r in fields["intent_ranking"]] == ["faq"]
    selected = fields["response_selector"]["faq"]
    assert selected["response"]["utter_action"] == "utter_faq/refund"
    assert selected["response"]["responses"] == [{"text": "原路退回"}]
    assert [r["intent_response_key"] for r in selected["ranking"]] == ["faq/refund", "faq/shipping"]


def test_prefix_intents_rank_each_faq_under_its_own_name():
    data = faqbot_data(reply("answer", "refund"), {"refund": "faq_refund", "shipping": "faq_shipping"})
    fields = parse_fields(data, PREFIX, {})
    assert fields["intent_ranking"] == [{"name": "faq_refund", "confidence": 0.9},
                                        {"name": "faq_shipping", "confidence": 0.1}]
    assert "response_selector" not in fields


DECISIONS = [  # (faqbot's decision, another classifier's top intent, the intent Rasa's policies see)
    ("answer", None, "faq"),
    ("clarify", None, "faqbot_clarify"),
    ("fallback", None, "nlu_fallback"),
    ("handoff", None, "faqbot_handoff"),
    ("answer", {"name": "order_pizza", "confidence": 0.95}, "order_pizza"),  # a confident task intent stands
    ("answer", {"name": "order_pizza", "confidence": 0.5}, "faq"),
    ("clarify", {"name": "order_pizza", "confidence": 0.85}, "order_pizza"),
    ("fallback", {"name": "greet", "confidence": 0.4}, "greet"),  # faqbot knows nothing: the other one decides
    ("fallback", {"name": "faq", "confidence": 0.7}, "nlu_fallback"),  # FAQ intents are faqbot's to judge
    ("handoff", {"name": "order_pizza", "confidence": 0.99}, "faqbot_handoff"),  # a hand-off always wins
]


@pytest.mark.parametrize("decision, previous, intent", DECISIONS)
def test_decision_and_other_classifiers_intent_choose_what_policies_see(decision, previous, intent):
    entry = "refund" if decision in ("answer", "handoff") else None
    data = faqbot_data(reply(decision, entry, options=CANDIDATES if decision == "clarify" else ()), INTENT_OF)
    ranking = [previous, {"name": "faq", "confidence": 0.2}] if previous else None
    fields = parse_fields(data, RETRIEVAL, {}, previous, ranking)
    assert fields["intent"]["name"] == intent
    assert data["used"] is (intent not in ("order_pizza", "greet"))
    assert len({r["name"] for r in fields["intent_ranking"]}) == len(fields["intent_ranking"])


def test_clarify_options_carry_their_question_as_button_payload():
    data = faqbot_data(reply("clarify", options=CANDIDATES), INTENT_OF)
    assert [(o["intent"], o["payload"]) for o in data["options"]] == [("faq/refund", "怎么退款"),
                                                                      ("faq/shipping", "多久发货")]


def test_conversation_memory_is_rebuilt_from_earlier_parse_data(demo_bot):
    clarify = faqbot_data(demo_bot.respond("快递"), {})
    assert clarify["decision"] == "clarify"
    session = restored_session(ChatSession(demo_bot), [{"text": "快递", "faqbot": clarify}])
    assert [o.id for o in session.choices] == [o["id"] for o in clarify["options"]]
    assert session.send("1").entry_id == clarify["options"][0]["id"]


def test_a_turn_another_classifier_decided_resets_the_transfer_rules_count():
    fallback = {"decision": "fallback", "entry_id": None, "handoff": None, "options": [], "emotion": 0.0}
    rows = history_rows([{"text": "a", "faqbot": fallback}, {"text": "hi", "faqbot": dict(fallback, used=False)},
                         {"text": "/greet"}])
    assert [r["sender"] for r in rows] == ["customer", "bot", "rasa", "rasa"]


def test_a_picked_option_is_remembered_as_faqbots_pick():
    picked = {"decision": "answer", "entry_id": "refund", "handoff": None, "options": [], "picked": True}
    assert history_rows([{"text": "怎么退款", "faqbot": picked}])[0]["text"] == SELECT_PREFIX + "refund"


def test_action_buttons_pick_through_a_rasa_intent_payload():
    assert SERVER_SELECT_PREFIX == SELECT_PREFIX
    button = rasa_button({"title": "怎么退款", "payload": SELECT_PREFIX + "refund"})
    assert button == {"title": "怎么退款", "payload": select_button_payload("refund")}
    assert button["payload"] == '/faqbot_select{"faqbot_entry": "refund"}'
    clicked = {"text": button["payload"], "entities": [{"entity": "faqbot_entry", "value": "refund"}]}
    assert text_for_faqbot(clicked) == SELECT_PREFIX + "refund"
    assert text_for_faqbot({"text": "快递", "entities": []}) == "快递"


def test_action_server_settings_come_from_the_environment():
    from integrations.rasa.server_settings import ServerSettings

    settings = ServerSettings.from_env({"FAQBOT_URL": "http://faq:9000/", "FAQBOT_HANDOFF_ACTION": "action_handoff"})
    assert (settings.url, settings.timeout, settings.handoff_action) == ("http://faq:9000", 10.0, "action_handoff")
    with pytest.raises(ValueError, match="FAQBOT_TIMEOUT must be a number of seconds, got 'soon'"):
        ServerSettings.from_env({"FAQBOT_TIMEOUT": "soon"})
