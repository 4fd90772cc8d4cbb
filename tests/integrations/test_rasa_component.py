"""faqbot inside a real Rasa 3.6: an assistant trained with FaqbotClassifier on the demo KB exported
to Rasa's format, talked to through Rasa's own REST channel (see tests/rasa_harness.py)."""
from __future__ import annotations

import shutil

import pytest

from knowledge_base.loader import load_kb
from knowledge_base.writer import write_kb

from tests.conftest import DEMO
from tests.rasa_harness import (ASSISTANTS, free_port, get_json, process_env, rasa_environment, rest_message, running,
                           trained_model)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    """Base URL of a running Rasa server (with its action server) for the component assistant."""
    bin_dir = rasa_environment()
    workdir = tmp_path_factory.mktemp("faqbot_component")
    shutil.copytree(ASSISTANTS / "faqbot_component", workdir, dirs_exist_ok=True)
    write_kb(load_kb(DEMO / "kb.yml"), workdir / "data" / "nlu.yml", "rasa")
    for name in ("dictionary.txt", "synonyms.yml"):
        shutil.copy(DEMO / name, workdir / name)
    model = trained_model(bin_dir, workdir, "faqbot_component")
    actions_port, rasa_port = free_port(), free_port()
    (workdir / "endpoints.yml").write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    with running([str(bin_dir / "rasa"), "run", "actions", "--actions", "integrations.rasa.actions",
                  "--port", str(actions_port)], workdir, f"http://127.0.0.1:{actions_port}/health",
                 workdir / "actions.log"), \
         running([str(bin_dir / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1", "--model", str(model),
                  "--port", str(rasa_port),
                  "--endpoints", "endpoints.yml"], workdir, f"http://127.0.0.1:{rasa_port}/status",
                 workdir / "rasa.log", process_env()):
        yield f"http://127.0.0.1:{rasa_port}"


ANSWERED = [  # (customer message, the demo entry faqbot answers it with)
    ("怎么申请退货", "return_how"),
    ("发漂怎么开", "invoice_how"),  # a homophone typo: faqbot's pinyin channel
    ("用的是哪家快递", "shipping_courier"),
]


@pytest.mark.parametrize("text, entry_id", ANSWERED)
def test_faq_question_gets_faqbots_answer(assistant, demo_bot, text, entry_id):
    assert demo_bot.respond(text).entry_id == entry_id
    replies = rest_message(assistant, f"answer-{entry_id}", text)
    assert [r.get("text") for r in replies] == [demo_bot.kb[entry_id].answer_for("default")]


def test_policies_see_faqbots_intent_ranking_and_decision(assistant):
    rest_message(assistant, "ranking", "发漂怎么开")
    parse = get_json(f"{assistant}/conversations/ranking/tracker")["latest_message"]
    assert parse["intent"]["name"] == "faq"
    assert parse["intent"]["full_retrieval_intent_name"] == "faq/invoice_how"
    assert parse["intent_ranking"][0]["name"] == "faq"
    assert parse["response_selector"]["faq"]["response"]["utter_action"] == "utter_faq/invoice_how"
    assert parse["faqbot"]["decision"] == "answer" and parse["faqbot"]["entry_id"] == "invoice_how"


def test_vague_express_query_gets_option_buttons_and_a_click_answers(assistant, demo_bot):
    options = demo_bot.respond("快递").options
    assert [o.id for o in options][:2] == ["shipping_courier", "shipping_tracking"]
    reply, = rest_message(assistant, "express", "快递")
    assert [b["title"] for b in reply["buttons"]] == [o.question for o in options]
    clicked = rest_message(assistant, "express", reply["buttons"][1]["payload"])
    assert [r.get("text") for r in clicked] == [demo_bot.kb["shipping_tracking"].answer_for("default")]
    assert get_json(f"{assistant}/conversations/express/tracker")["latest_message"]["faqbot"]["picked"] is True


def test_typing_an_options_number_picks_it(assistant, demo_bot):
    rest_message(assistant, "number", "快递")
    replies = rest_message(assistant, "number", "1")
    assert [r.get("text") for r in replies] == [demo_bot.kb["shipping_courier"].answer_for("default")]


def test_transfer_request_triggers_the_handoff_action(assistant):
    replies = rest_message(assistant, "transfer", "转人工")
    handoff = next(r["custom"]["handoff"] for r in replies if "custom" in r)
    assert (handoff["rule"], handoff["group"]) == ("explicit_request", "general")
    assert "人工客服" in replies[0]["text"]
    assert get_json(f"{assistant}/conversations/transfer/tracker")["latest_message"]["intent"]["name"] == "faqbot_handoff"


def test_two_unanswered_questions_in_a_row_hand_off(assistant):
    """faqbot's multi-turn transfer rules see the conversation through the tracker Rasa passes in."""
    first = rest_message(assistant, "weather", "今天天气怎么样")
    assert [r.get("text") for r in first] == ["抱歉，这个问题我还不会回答。"]  # utter_default: nlu_fallback
    second = rest_message(assistant, "weather", "明天会下雨吗")
    assert next(r["custom"]["handoff"]["rule"] for r in second if "custom" in r) == "unanswered_twice"


def test_a_confident_task_intent_of_the_assistants_own_classifier_stands(assistant, demo_bot):
    """帮我查订单 starts the assistant's own order look-up flow (its KeywordIntentClassifier is sure),
    though faqbot would answer it; a wording only faqbot knows still gets faqbot's answer."""
    assert demo_bot.respond("帮我查订单").decision == "answer"
    assert [r.get("text") for r in rest_message(assistant, "task", "帮我查订单")] == ["好的，请告诉我您的订单号。"]
    parse = get_json(f"{assistant}/conversations/task/tracker")["latest_message"]
    assert parse["intent"]["name"] == "look_up_order" and parse["faqbot"]["used"] is False
    replies = rest_message(assistant, "task", "我的订单在哪看")
    assert [r.get("text") for r in replies] == [demo_bot.kb[demo_bot.respond("我的订单在哪看").entry_id].answer_for("default")]
