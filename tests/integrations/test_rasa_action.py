"""Rasa in front of faqbot: a real Rasa 3.6 assistant keeps its small talk and hands every other
message to a running faqbot server through the custom action action_ask_faqbot."""
from __future__ import annotations

import json
import shutil

import pytest

from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import serving
from tests.rasa_harness import (ASSISTANTS, free_port, process_env, rasa_environment, rest_message, running,
                                trained_model)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, demo_bot):
    """Base URL of a running Rasa server whose action server talks to a faqbot server on loopback."""
    bin_dir = rasa_environment()
    workdir = tmp_path_factory.mktemp("ask_faqbot")
    shutil.copytree(ASSISTANTS / "ask_faqbot", workdir, dirs_exist_ok=True)
    model = trained_model(bin_dir, workdir, "ask_faqbot")
    actions_port, rasa_port = free_port(), free_port()
    (workdir / "endpoints.yml").write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    with serving(create_app(demo_bot, ConversationStore(str(workdir / "faqbot.sqlite3")))) as faqbot_url, \
         running([str(bin_dir / "rasa"), "run", "actions", "--actions", "integrations.rasa.actions",
                  "--port", str(actions_port)], workdir, f"http://127.0.0.1:{actions_port}/health",
                 workdir / "actions.log", process_env(FAQBOT_URL=faqbot_url)), \
         running([str(bin_dir / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1", "--model", str(model),
                  "--port", str(rasa_port),
                  "--endpoints", "endpoints.yml"], workdir, f"http://127.0.0.1:{rasa_port}/status",
                 workdir / "rasa.log"):
        yield f"http://127.0.0.1:{rasa_port}"


def test_small_talk_stays_in_rasa(assistant):
    assert [r.get("text") for r in rest_message(assistant, "hello", "你好")] == ["您好，这里是优选商城，请问有什么可以帮您？"]


def test_faq_question_is_answered_by_the_faqbot_server(assistant, demo_bot):
    replies = rest_message(assistant, "faq", "发漂怎么开")
    assert replies[0]["text"] == demo_bot.kb["invoice_how"].answer_for("web")
    assert next(r["custom"]["faqbot"] for r in replies if "custom" in r)["entry_id"] == "invoice_how"


def test_options_come_back_as_buttons_whose_click_faqbot_hears_as_a_pick(assistant, demo_bot):
    reply = rest_message(assistant, "express", "快递")[0]
    assert [b["title"] for b in reply["buttons"]] == [o.question for o in demo_bot.respond("快递").options]
    payload = reply["buttons"][0]["payload"]
    assert payload == "/faqbot_select" + json.dumps({"faqbot_entry": "shipping_courier"}, ensure_ascii=False)
    clicked = rest_message(assistant, "express", payload)
    assert clicked[0]["text"] == demo_bot.kb["shipping_courier"].answer_for("web")


def test_transfer_request_is_handed_off_by_faqbot(assistant):
    replies = rest_message(assistant, "transfer", "转人工")
    faqbot = next(r["custom"]["faqbot"] for r in replies if "custom" in r)
    assert faqbot["decision"] == "handoff" and faqbot["handoff"]["rule"] == "explicit_request"
