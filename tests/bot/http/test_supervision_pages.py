"""The supervision pages in real Chromium: a supervisor watches a live conversation, whispers to the agent and
takes over; an angry message in a bot conversation raises an alert within seconds; the dashboard draws its
charts with Chinese labels; a QA reviewer scores a sampled conversation and the agent sees the score.
Screenshots of the console, the dashboard and the QA page go to test-artefacts/."""
import httpx
import pytest

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.bot.http.test_agent_workspace import customer, type_in
from tests.browser import ARTEFACTS, serving
from tests.conftest import Customer, add_staff, browser_sign_in, sign_in

ANGRY = "你们这是什么破服务，气死我了，骗子！！！"


@pytest.fixture
def server(demo_bot, fresh_store_url):
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig())
    add_staff(app, ("wang", "agent", ["general", "expert", "complaints"], "小王"),
              ("boss", "supervisor", ["general"], "主管"), ("qa", "qa", ["general"], "质检员"))
    with serving(app) as url:
        yield url


def test_a_supervisor_watches_whispers_and_takes_over(browser, server):
    agent_context, agent = browser_sign_in(browser, server + "/agent", "wang")
    agent.locator("#me", has_text="小王").wait_for()
    shopper_context, shopper = customer(browser, server)
    type_in(shopper, "转人工")
    agent.locator("#queue .item button").first.click()
    shopper.locator(".fq-note", has_text="小王 为您服务").wait_for()
    console_context, console = browser_sign_in(browser, server + "/supervisor", "boss")
    console.locator("#live tbody tr", has_text="人工中").click()
    type_in(shopper, "我的快递三天没动了")  # watched live: it reaches the console without a click
    console.locator("#transcript .msg.customer", has_text="我的快递三天没动了").wait_for(timeout=10_000)

    console.fill("#whisper-text", "先安抚客户，再查物流")
    console.click("#whisper")
    agent.locator(".whisper", has_text="先安抚客户，再查物流").wait_for(timeout=10_000)
    console.screenshot(path=str(ARTEFACTS / "supervisor-console.png"), full_page=True)

    console.click("#take-over")
    shopper.locator(".fq-note", has_text="主管 为您服务").wait_for(timeout=10_000)
    agent.locator(".whisper", has_text="已由 主管 接管").wait_for(timeout=10_000)
    console.fill("#reply-text", "您好，我是主管，马上为您处理")
    console.click("#reply")
    shopper.locator(".fq-agent", has_text="我是主管").wait_for(timeout=10_000)
    assert "先安抚客户" not in shopper.locator(".fq-log").inner_text()  # the whisper never reached the customer
    for context in (agent_context, shopper_context, console_context):
        context.close()


def test_an_angry_message_in_a_bot_conversation_raises_an_alert_within_seconds(browser, server):
    console_context, console = browser_sign_in(browser, server + "/supervisor", "boss")
    console.locator("#alerts .none").wait_for()
    shopper_context, shopper = customer(browser, server)
    type_in(shopper, ANGRY)
    console.locator("#alerts [data-kind=emotion]").wait_for(timeout=5_000)
    row = console.locator("#live tbody tr", has_text="情绪激动")
    assert row.locator(".emotion").inner_text() != "—"
    console.screenshot(path=str(ARTEFACTS / "supervisor-alert.png"), full_page=True)
    shopper_context.close()
    console_context.close()


def test_the_dashboard_draws_trend_charts_with_chinese_labels_and_warns(browser, server):
    with httpx.Client(base_url=server, timeout=30) as api:  # one rated hand-off, two ignored surveys: 33 % participation
        wang = sign_in(api, "wang", status="online")
        for session, rating in (("rated", 5), ("silent", None), ("quiet", None)):
            talker = Customer(api, session)
            handoff_id = talker.say("转人工")["handoff"]["handoff_id"]
            api.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang)
            api.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "您好"}, headers=wang)
            survey = api.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang).json()["survey_id"]
            if rating:
                talker.rate(survey, rating, comment="回复很快，很专业")
        Customer(api, "bot-only").say("运费怎么算")
    context, page = browser_sign_in(browser, server + "/dashboard", "boss")
    page.locator("#charts svg").nth(3).wait_for()
    titles = page.locator("#charts svg > text:first-of-type").all_text_contents()
    assert titles == ["会话量", "满意度", "服务水平", "等待与响应"]
    assert "人工满意度 CSAT(4–5分)" in page.locator("#charts").text_content()
    assert page.locator("[data-metric=participation_rate] .value").inner_text() == "33.3%"
    assert page.locator("[data-metric=service_level] .goal").inner_text() == "目标 ≥ 80.0%"
    page.locator("#alerts .warn", has_text="参与率不足").wait_for()
    text = page.locator("#board").inner_text()
    assert "participation_rate" not in text and "first_response_p50_s" not in text
    assert page.locator("#agents tbody tr", has_text="wang").count() == 1
    page.locator("#digest tbody tr", has_text="回复很快，很专业").wait_for()  # today's comments
    assert page.locator(".export button", has_text="导出 Excel").count() >= 6
    with page.expect_download() as download:
        page.locator("#agents").locator("xpath=preceding-sibling::div[1]").locator("button", has_text="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.screenshot(path=str(ARTEFACTS / "dashboard-trends.png"), full_page=True)
    context.close()


def test_a_qa_reviewer_scores_a_sampled_conversation_and_the_agent_sees_it(browser, server):
    with httpx.Client(base_url=server, timeout=30) as api:
        wang = sign_in(api, "wang", status="online")
        talker = Customer(api, "sampled")
        handoff_id = talker.say("转人工")["handoff"]["handoff_id"]
        api.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang)
        api.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "这个我不知道"}, headers=wang)
        talker.rate(api.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang).json()["survey_id"], 1)
    qa_context, qa = browser_sign_in(browser, server + "/qa", "qa")
    qa.locator(f"#sample [data-handoff='{handoff_id}']", has_text="低满意度").click()
    qa.locator("#findings .finding", has_text="禁用语：不知道").wait_for()
    for field, points in (("greeting", 8), ("accuracy", 15), ("empathy", 10), ("resolution", 12), ("compliance", 0)):
        qa.fill(f"#items input[name={field}]", str(points))
    qa.fill("#comment", "使用了禁用语")
    qa.screenshot(path=str(ARTEFACTS / "qa-inspect.png"), full_page=True)
    qa.click("#scorecard button")
    qa.locator("#reviews .review", has_text="45 分").wait_for()
    qa.screenshot(path=str(ARTEFACTS / "qa-review.png"), full_page=True)
    agent_context, agent = browser_sign_in(browser, server + "/qa", "wang")
    mine = agent.locator("#reviews .review", has_text="45 分")
    mine.wait_for()
    assert "使用了禁用语" in mine.inner_text()
    mine.locator("input").fill("客户的问题超出了知识范围")
    mine.locator("button", has_text="申诉").click()
    agent.locator("#reviews .review", has_text="申诉处理中").wait_for()
    for context in (qa_context, agent_context):
        context.close()


def test_the_widget_asks_whether_the_problem_was_solved_and_the_answer_is_the_bot_csat(browser, server):
    context = browser.new_context()
    page = context.new_page()

    def ask_after_one_second(route):  # the shop page as a site would embed it, with a short wait
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(
            '<script src="/widget.js"', '<script data-ask-resolved-after="1" src="/widget.js"'))

    page.route(server + "/", ask_after_one_second)
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    type_in(page, "运费怎么算")
    page.locator(".fq-resolved", has_text="问题解决了吗？").wait_for(timeout=10_000)
    page.click(".fq-resolved button:has-text('解决了')")
    page.locator(".fq-resolved", has_text="感谢您的反馈").wait_for()
    context.close()
    with httpx.Client(base_url=server, timeout=30) as api:
        totals = api.get("/api/supervisor/report", headers=sign_in(api, "boss")).json()["totals"]
    assert (totals["bot_csat"], totals["bot_csat_responses"]) == (1.0, 1)


def test_a_waiting_customer_can_stop_waiting_in_the_widget(browser, server):
    agent_context, agent = browser_sign_in(browser, server + "/agent", "wang")  # online: the customer is queued
    agent.locator("#me", has_text="小王").wait_for()
    shopper_context, shopper = customer(browser, server)
    type_in(shopper, "转人工")
    shopper.click(".fq-leave-queue")
    shopper.locator(".fq-note", has_text="已为您取消排队").wait_for()
    assert shopper.locator(".fq-leave-queue").count() == 0
    type_in(shopper, "运费怎么算")  # the bot answers again
    shopper.locator(".fq-bot", has_text="运费").last.wait_for()
    for context in (agent_context, shopper_context):
        context.close()
