"""Two real people in two browser pages: a customer on the shop page, an agent in the workspace,
and a supervisor reading the dashboard — on SQLite and on the real PostgreSQL."""
import httpx
import pytest

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import ARTEFACTS, serving
from tests.conftest import Customer, add_staff, browser_sign_in, sign_in, wait_until


@pytest.fixture
def server(demo_bot, fresh_store_url):
    """A server on an empty database per test: the dashboard counts only what the test did."""
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig())
    add_staff(app, ("wang", "agent", ["general", "expert", "complaints"], "小王"), ("boss", "supervisor", ["general"], "主管"))
    with serving(app) as url:
        yield url


@pytest.fixture
def agent(browser, server):
    context, page = browser_sign_in(browser, server + "/agent", "wang")
    page.locator("#me", has_text="小王").wait_for()
    yield page
    context.close()


def customer(browser, server):
    context = browser.new_context()  # a new customer: own storage, own session
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()  # welcome card: the widget is ready
    return context, page


def type_in(page, text):
    page.fill(".fq-form input", text)
    page.press(".fq-form input", "Enter")


def hand_off_and_close(agent, page):
    """The customer asks for a person; the agent accepts, they talk, the agent closes."""
    type_in(page, "转人工")
    page.locator(".fq-note", has_text="前面还有").wait_for()
    agent.locator("#queue .item button").first.click()
    page.locator(".fq-note", has_text="小王 为您服务").wait_for()
    type_in(page, "我的快递三天没动了")
    agent.locator("#log .customer", has_text="我的快递三天没动了").wait_for()
    agent.fill("#text", "您好，我马上帮您查物流")
    agent.press("#text", "Enter")
    page.locator(".fq-agent", has_text="您好，我马上帮您查物流").wait_for()
    assert agent.locator("#packet .field-rule").inner_text() == "explicit_request"
    assert agent.locator("#packet .emotion svg").count() == 1
    agent.screenshot(path=str(ARTEFACTS / "agent-workspace.png"))
    agent.click("#close")
    page.locator(".fq-note", has_text="人工服务已结束").wait_for()
    page.locator(".fq-survey").wait_for()


def dashboard_value(browser, server, metric):
    context, page = browser_sign_in(browser, server + "/dashboard", "boss")
    value = page.locator(f"[data-metric={metric}] .value").inner_text()
    page.screenshot(path=str(ARTEFACTS / "dashboard.png"))
    context.close()
    return value


def test_customer_and_agent_talk_then_the_rating_shows_in_the_report(browser, server, agent):
    context, page = customer(browser, server)
    hand_off_and_close(agent, page)
    page.click(".fq-stars button[data-score='5']")
    page.fill(".fq-survey textarea", "很专业")
    page.click(".fq-survey .fq-submit")
    page.locator(".fq-survey", has_text="感谢您的评价").wait_for()
    page.screenshot(path=str(ARTEFACTS / "widget-survey-answered.png"))
    type_in(page, "运费怎么算")  # the bot is back
    page.locator(".fq-bot", has_text="运费").last.wait_for()
    context.close()
    assert dashboard_value(browser, server, "csat") == "100.0%"
    assert dashboard_value(browser, server, "participation_rate") == "100.0%"


def test_an_ignored_survey_halves_participation(browser, server, agent):
    with httpx.Client(base_url=server) as api:  # one customer rates 5 (through the API, quickly) …
        wang, rated = sign_in(api, "wang", status="online"), Customer(api, "rated")
        handoff_id = rated.say("转人工")["handoff"]["handoff_id"]
        api.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang)
        api.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang)
        survey = [m for m in rated.history() if m.get("survey")][-1]["survey"]
        assert rated.rate(survey, 5).status_code == 200
    context, page = customer(browser, server)  # … another, in the widget, leaves without rating
    hand_off_and_close(agent, page)
    context.close()
    assert dashboard_value(browser, server, "participation_rate") == "50.0%"
    assert dashboard_value(browser, server, "csat") == "100.0%"


def test_closing_the_workspace_sets_the_agent_away(browser, server):
    context, page = browser_sign_in(browser, server + "/agent", "boss")
    page.locator("#me", has_text="主管").wait_for()
    token = page.evaluate("sessionStorage.getItem('faqbot-agent-token')")
    me = lambda: httpx.get(server + "/api/agent/me", headers={"Authorization": f"Bearer {token}"}).json()  # noqa: E731
    wait_until(lambda: me()["status"] == "online", 5, "the open workspace sets the supervisor online")
    context.close()
    # after a short grace period: a reload is not leaving
    wait_until(lambda: me()["status"] == "away", 10, "closing the workspace sets the supervisor away")
