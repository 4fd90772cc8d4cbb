"""A reload restores what the customer saw: picked options as their text, clarifications with their
options (still clickable), related questions, the vote given, agent messages, notices and an open survey."""
import httpx
import pytest
from fastapi.testclient import TestClient

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import ARTEFACTS, serving
from tests.conftest import Customer, add_staff, sign_in


@pytest.fixture(scope="module")
def app(demo_bot, store_url):
    app = create_app(demo_bot, ConversationStore(store_url), handoff=HandoffConfig())
    add_staff(app, ("li", "agent", ["general", "expert", "complaints"], "小李"))
    return app


def test_history_names_picks_options_related_votes_and_answered_surveys(app, demo_bot):
    api = TestClient(app)
    customer = Customer(api, "history-view")
    clarify = customer.say("快递")
    assert clarify["decision"] == "clarify"
    picked = clarify["options"][1]
    answer = customer.say("/select:" + picked["id"])
    api.post("/api/feedback", json={"session_id": customer.session, "message_id": answer["message_id"],
                                    "helpful": False}, headers=customer.owned)
    li = sign_in(api, "li", status="online")
    handoff = customer.say("转人工")["handoff"]["handoff_id"]
    api.post(f"/api/agent/handoffs/{handoff}/accept", headers=li)
    api.post(f"/api/agent/handoffs/{handoff}/close", headers=li)
    history = customer.history()
    said = [m["text"] for m in history if m["sender"] == "customer"]
    assert said[1] == picked["question"], "a click shows the option's text, never its payload"
    offered = next(m for m in history if m["id"] == clarify["message_id"])
    assert [o["id"] for o in offered["options"]] == [o["id"] for o in clarify["options"]]
    answered = next(m for m in history if m["id"] == answer["message_id"])
    assert [o["id"] for o in answered["related"]] == [o["id"] for o in answer["related"]] and answered["related"]
    assert answered["feedback"] == "no"
    invitation = next(m for m in history if m.get("survey"))
    assert invitation["answered"] is False
    assert customer.rate(invitation["survey"], 4).status_code == 200
    assert next(m for m in customer.history() if m.get("survey"))["answered"] is True


@pytest.fixture(scope="module")
def server(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()  # the welcome card: a new conversation
    yield page
    context.close()


def type_in(page, text):
    page.fill(".fq-form input", text)
    page.press(".fq-form input", "Enter")


def test_a_reload_restores_options_related_questions_and_the_vote(page, demo_bot):
    type_in(page, "快递")
    offered = page.locator(".fq-log > .fq-bot").nth(1).locator(".fq-opt")
    offered.first.wait_for()
    options = offered.all_inner_texts()
    offered.nth(1).click()
    page.locator(".fq-fb button").first.wait_for()
    related = page.locator(".fq-log > .fq-bot").last.locator(".fq-opt").all_inner_texts()
    page.get_by_role("button", name="没帮助").click()
    page.locator(".fq-fb", has_text="感谢").wait_for()
    page.reload()
    page.locator(".fq-me").nth(1).wait_for()
    assert page.locator(".fq-me").all_inner_texts() == ["快递", options[1]]
    bot = page.locator(".fq-log > .fq-bot")
    assert bot.nth(0).locator(".fq-opt").all_inner_texts() == options  # the clarification, with its options
    assert bot.nth(1).locator(".fq-opt").all_inner_texts() == related and related
    assert bot.nth(1).locator(".fq-fb").inner_text() == "您觉得没帮助"
    assert "猜你想问" not in page.locator(".fq-log").inner_text(), "the welcome card is for new conversations"
    page.screenshot(path=str(ARTEFACTS / "widget-restored.png"))
    bot.nth(0).locator(".fq-opt").first.click()  # a restored option still answers
    entry = next(e for e in demo_bot.kb if e.question == options[0])
    page.locator(".fq-bot", has_text=entry.answer_for()[:15]).wait_for()


def test_a_reload_restores_the_agent_the_notices_and_the_open_survey(page, server):
    with httpx.Client(base_url=server) as api:
        sign_in(api, "li", status="online")  # someone to hand off to, whichever test ran first
    type_in(page, "转人工")
    page.locator(".fq-note", has_text="前面还有").wait_for()
    with httpx.Client(base_url=server) as api:
        li = sign_in(api, "li", status="online")
        waiting = [h for hs in api.get("/api/agent/queue", headers=li).json()["groups"].values() for h in hs]
        session = page.evaluate("localStorage.getItem('faqbot-session')")
        handoff = next(h["id"] for h in waiting if h["session_id"] == session)
        api.post(f"/api/agent/handoffs/{handoff}/accept", headers=li)
        api.post(f"/api/agent/handoffs/{handoff}/messages", json={"text": "您好，我来帮您"}, headers=li)
        page.locator(".fq-agent", has_text="您好，我来帮您").wait_for()
        api.post(f"/api/agent/handoffs/{handoff}/close", headers=li)
    page.locator(".fq-survey").wait_for()
    page.reload()
    page.locator(".fq-survey").wait_for()
    log = page.locator(".fq-log").inner_text()
    assert "前面还有" in log and "小李" in log and "您好，我来帮您" in log and "人工服务已结束" in log
    page.click(".fq-stars button[data-score='5']")
    page.click(".fq-survey .fq-submit")
    page.locator(".fq-survey", has_text="感谢您的评价").wait_for()
