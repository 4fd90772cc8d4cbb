"""A shift at the agent desk in real Chromium, customer and agent in two browser contexts (and a trainer in a
third): answering with a bot candidate and a canned reply, a wrap-up whose knowledge suggestion reaches the
trainer, and a left message followed to its rating — on SQLite and on the real PostgreSQL."""
import httpx
import pytest

from tests.browser import ARTEFACTS, serving
from tests.conftest import browser_sign_in, sign_in, started_workbench, workbench_app

STAFF = (("wang", "agent", ["general", "expert", "complaints"], "小王"), ("tina", "trainer", ["general"], "蒂娜"))
CANNED = "您好，我是{agent_name}，很高兴为您服务。"


@pytest.fixture(scope="module")
def server(store_url, tmp_path_factory):
    bench, bot = started_workbench(store_url, tmp_path_factory.mktemp("desk"),
                                   server__messages_per_minute_per_address=100_000)
    with serving(workbench_app(bench, bot, *STAFF)) as url:
        yield url


def open_widget(context, url):
    page = context.new_page()
    page.goto(url + "/")
    if not page.locator(".fq-panel.open").count():
        page.click(".fq-launch")
    page.locator(".fq-form input").wait_for()
    return page


def type_in(page, selector, text):
    page.fill(selector, text)
    page.press(selector, "Enter")


def workspace(browser, url):
    context, page = browser_sign_in(browser, url + "/agent", "wang")
    page.locator("#me", has_text="小王").wait_for()
    return context, page


def test_an_agent_answers_with_a_candidate_and_a_canned_reply_and_the_wrap_up_feeds_the_trainer(browser, server):
    trainer_context, trainer = browser_sign_in(browser, server + "/trainer", "tina")
    trainer.locator("#live-version", has_text="v").wait_for()
    trainer.click("#tabs [data-tab=canned]")
    trainer.select_option("#canned-group", "general")
    trainer.fill("#canned-title", "问候")
    trainer.fill("#canned-text", CANNED)
    trainer.click("#canned-form button.primary")
    trainer.locator("#canned-list .canned", has_text="问候").wait_for()

    agent_context, agent = workspace(browser, server)
    customer_context = browser.new_context()
    customer = open_widget(customer_context, server)
    type_in(customer, ".fq-form input", "转人工")
    customer.locator(".fq-note", has_text="前面还有").wait_for()
    agent.locator("#queue .item button").first.click()
    customer.locator(".fq-note", has_text="小王 为您服务").wait_for()
    type_in(customer, ".fq-form input", "退货的运费谁来出")
    agent.locator("#log .customer", has_text="退货的运费谁来出").wait_for()
    agent.locator("#candidates .candidate", has_text="运费").first.wait_for()
    answer = agent.locator("#candidates .candidate .meta").first.inner_text()
    agent.keyboard.press("Alt+Digit1")  # the first candidate's answer, by shortcut
    assert agent.input_value("#text") == answer
    agent.press("#text", "End")
    agent.type("#text", " 还有问题随时找我")  # edited before sending
    agent.press("#text", "Enter")
    customer.locator(".fq-agent", has_text="还有问题随时找我").wait_for()
    agent.locator("#canned .canned-reply .insert").first.click()
    assert agent.input_value("#text") == "您好，我是小王，很高兴为您服务。"
    agent.press("#text", "Enter")
    customer.locator(".fq-agent", has_text="很高兴为您服务").wait_for()
    type_in(agent, "#note-text", "客户第一次退货，已说明运费规则")
    agent.locator("#customer .note", has_text="已说明运费规则").wait_for()
    agent.screenshot(path=str(ARTEFACTS / "agent-desk-assist.png"), full_page=True)

    agent.click("#close")
    agent.locator("#wrapup").wait_for()
    assert agent.input_value("#reason") == "退货"  # suggested from the matched entry's category
    assert agent.input_value("#sugg-question") == "退货的运费谁来出"
    agent.check("#save-suggestion")
    agent.click("#wrapup button.primary")
    agent.locator(".wrapup-done", has_text="知识建议").wait_for()
    customer.locator(".fq-survey").wait_for()
    assert customer.locator("text=已说明运费规则").count() == 0  # the internal note never reaches the customer
    agent_context.close()
    customer_context.close()

    trainer.click("#tabs [data-tab=suggestions]")
    card = trainer.locator(".suggestion", has_text="退货的运费谁来出")
    card.wait_for()
    assert "很高兴为您服务" in card.locator(".agent-answer").inner_text()
    assert "小王" in card.locator(".reason").inner_text()
    trainer_context.close()


def test_a_left_message_is_answered_reopened_by_the_customer_resolved_and_rated(browser, server):
    with httpx.Client(base_url=server) as api:
        sign_in(api, "wang", status="away")  # nobody on duty: the customer is invited to leave a message
    customer_context = browser.new_context()
    customer = open_widget(customer_context, server)
    type_in(customer, ".fq-form input", "转人工")
    customer.locator(".fq-bot", has_text="请直接留言").wait_for()
    type_in(customer, ".fq-form input", "快递三天没动了")
    customer.locator(".fq-note", has_text="手机号或邮箱").wait_for()
    type_in(customer, ".fq-form input", "我的手机 13812345678")
    customer.locator(".fq-note", has_text="留言已收到").wait_for()
    customer.close()  # the customer leaves the shop

    agent_context, agent = workspace(browser, server)
    ticket = agent.locator("#tickets .ticket", has_text="快递三天没动了")
    ticket.click()
    assert agent.locator("#packet .ticket-contact").inner_text() == "13812345678"
    agent.click("#packet .take")
    agent.locator("#packet .ticket-status", has_text="已分配").wait_for()
    type_in(agent, "#text", "已为您催促快递，明天送达")
    agent.locator("#packet .ticket-status", has_text="等待客户回复").wait_for()

    customer = open_widget(customer_context, server)  # back in the shop later: the reply is there
    customer.locator(".fq-agent", has_text="已为您催促快递").wait_for()
    type_in(customer, ".fq-form input", "好的，能不能送到公司？")
    customer.locator(".fq-note", has_text="您的回复已转给客服").wait_for()

    agent.locator("#tickets .ticket", has_text="已分配").click()  # reopened
    agent.locator("#log .customer", has_text="能不能送到公司").wait_for()
    agent.screenshot(path=str(ARTEFACTS / "agent-desk-ticket.png"), full_page=True)
    agent.click("#packet .resolve")
    agent.locator("#packet .ticket-status", has_text="已解决").wait_for()
    agent.click("#packet .close-ticket")
    agent.locator("#packet .ticket-status", has_text="已关闭").wait_for()

    customer.locator(".fq-survey").wait_for()
    customer.click(".fq-stars button[data-score='5']")
    customer.click(".fq-survey .fq-submit")
    customer.locator(".fq-survey", has_text="感谢您的评价").wait_for()
    agent_context.close()
    customer_context.close()
