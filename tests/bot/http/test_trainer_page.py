"""The trainers' workbench (/trainer) in a real headless Chromium: a trainer teaches the bot a
customer's question and publishes it while customers keep chatting — on SQLite and on the real
PostgreSQL — then a customer on the shop page gets the answer. Two trainers editing one entry, and
knowledge-base content that is HTML, are checked on SQLite."""
import time
from collections import Counter

import httpx
import pytest
import yaml

from tests.browser import ARTEFACTS, serving
from tests.conftest import DEMO, MINI_KB, Crowd, browser_sign_in, move_similar, started_workbench, workbench_app
# A colloquial question version 1 does not answer with the repair entry (it falls back); once it is a
# similar question, the gate passes (accuracy@1 and wrong-answer rate on the demo test set unchanged).
QUESTION, TARGET = "东西坏了找谁", "repair_apply"
TRAFFIC = ["运费怎么算", "怎么开发票", "退款多久到账", "支持货到付款吗", "积分会过期吗", "怎么查询物流信息"]
XSS = "<img src=x onerror=window.__xss=1>"
PUBLISHING = 180_000  # ms: training and evaluating the demo KB from a cold model cache


def serve_workbench(store_url, kb_path, folder, *staff, **overrides):
    """A live server with the workbench as ``faqbot serve`` builds it, version 1 published from ``kb_path``, on
    built-in defaults; yields (url, app, bot)."""
    # every simulated customer comes from 127.0.0.1: the per-address budget is not under test
    bench, bot = started_workbench(store_url, folder, kb_path, config=None,
                                   server__messages_per_minute_per_address=100_000, **overrides)
    app = workbench_app(bench, bot, *staff)
    with serving(app) as url:
        yield url, app, bot


def open_workbench(browser, url, username):
    """A trainer signed in on /trainer in a browser context of their own, the live version shown."""
    context, page = browser_sign_in(browser, url + "/trainer", username)
    page.locator("#live-version", has_text="v").wait_for()
    return context, page


def open_entry(page, search, entry_id):
    page.fill("#search", search)
    page.locator(f"#entries .entry[data-id='{entry_id}']").click()
    page.wait_for_function("id => document.getElementById('f-id').value === id", arg=entry_id)


def customer_message(n, i):
    """Customer ``n``'s ``i``th message: the traffic questions, each once per session (asking again would hand
    it to a person); every tenth, QUESTION from a new customer, to see which version answers it."""
    if i % 10 == 9:
        return f"probe-{n}-{i}", QUESTION
    return f"customer-{n}-{i // len(TRAFFIC)}", TRAFFIC[i % len(TRAFFIC)]


@pytest.fixture(scope="module")
def demo_server(store_url, tmp_path_factory):
    yield from serve_workbench(store_url, DEMO / "kb.yml", tmp_path_factory.mktemp("workbench"),
                               ("trainer", "trainer"), curation__test_set=str(DEMO / "queries.jsonl"))


def test_trainer_adds_a_similar_question_and_publishes_while_customers_chat(browser, demo_server):
    url, _, live = demo_server
    before = live.respond(QUESTION)
    assert (before.decision, before.entry_id) != ("answer", TARGET)  # what the trainer is about to fix
    answer = live.kb[TARGET].answer_for()

    context, page = open_workbench(browser, url, "trainer")
    page.locator("#live-version", has_text="v1").wait_for()
    open_entry(page, "坏了", TARGET)
    page.fill("#f-add-similar", QUESTION)
    page.click("#add-similar")
    page.locator("#editor-note", has_text="已添加相似问").wait_for()
    assert QUESTION in page.locator("#f-similar input").evaluate_all("inputs => inputs.map(i => i.value)")

    page.fill("#try-text", QUESTION)  # 测试窗: the draft answers with the entry, the live version does not
    page.click("#try")
    page.locator("#try-result .draft .decision[data-decision=answer]").wait_for(timeout=PUBLISHING)
    assert page.locator("#try-result .draft h4 + .muted [data-entry]").inner_text() == TARGET
    assert page.locator("#try-result .live .decision").get_attribute("data-decision") != "answer"
    page.screenshot(path=str(ARTEFACTS / "trainer-try.png"), full_page=True)

    with Crowd(url, customer_message, threads=3, limit=2000) as customers:
        customers.wait_for(30, 60, "customers chatting before the trainer clicks")
        page.fill("#publish-note", f"{QUESTION} → {TARGET}")
        clicked = time.monotonic()
        page.click("#publish")  # first the diff against the live version, then the trainer confirms
        page.locator("#publish-result:is(.confirm, .refused, .error)").wait_for(timeout=PUBLISHING)
        assert "发布前请确认" in page.inner_text("#publish-result"), page.inner_text("#publish-result")
        page.click("#publish-result .actions button.primary")
        page.locator("#publish-result:is(.ok, .refused, .error)").wait_for(timeout=PUBLISHING)
        assert "已发布 v2" in page.inner_text("#publish-result")  # the gate passed: nothing forced
        page.locator("#served-version", has_text="v2").wait_for()
        published = time.monotonic()
        customers.wait_for(max(300, len(customers.said) + 60), 120, "customers chatting on version 2")
    statuses = Counter(said.status or said.error for said in customers.said)
    assert set(statuses) == {200}, f"customer requests failed: {statuses}"
    assert statuses[200] >= 300
    # they chatted while the version was trained and switched
    assert any(clicked <= said.at <= published for said in customers.said)
    probes = [(s.reply["decision"], s.reply.get("entry_id")) for s in customers.acknowledged() if s.text == QUESTION]
    assert probes[0] != ("answer", TARGET)  # served by version 1 first …
    assert probes[-1] == ("answer", TARGET)  # … and by version 2 once it was live
    page.screenshot(path=str(ARTEFACTS / "trainer-published.png"), full_page=True)
    context.close()

    shop = browser.new_context()  # a customer on the shop page, in the widget
    widget = shop.new_page()
    widget.goto(url + "/")
    widget.click(".fq-launch")
    widget.locator(".fq-opt").first.wait_for()
    widget.fill(".fq-form input", QUESTION)
    widget.press(".fq-form input", "Enter")
    widget.locator(".fq-bot", has_text=answer[:20]).wait_for()
    widget.screenshot(path=str(ARTEFACTS / "trainer-published-widget.png"))
    shop.close()


@pytest.fixture(scope="module")
def gated_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gated-workbench")
    yield from serve_workbench(str(folder / "faqbot.sqlite3"), DEMO / "kb.yml", folder, ("trainer", "trainer"),
                               curation__test_set=str(DEMO / "queries.jsonl"))


def test_a_harmful_edit_is_blocked_by_the_gate_with_the_diff_shown(browser, gated_server):
    """Issue 19: 怎么退货's similar questions moved to another entry; the page shows who loses the answer."""
    url, app, _ = gated_server
    move_similar(app.state.versions.publisher, "return_how", "return_7days", actor="trainer")

    context, page = open_workbench(browser, url, "trainer")
    page.click("#publish")
    page.locator("#publish-result:is(.confirm, .refused, .error)").wait_for(timeout=PUBLISHING)

    shown = page.inner_text("#publish-result")
    assert "评估未通过" in shown, shown
    flagship = page.inner_text("#gate-flagship")
    assert "怎么退货 [核心问题]：回答 return_how →" in flagship and "怎麼退貨 [核心问题]：回答 return_how →" in flagship
    assert page.locator("#publish-result .reasons li", has_text="核心问题 '怎么退货' 失去答案").count() == 1
    page.screenshot(path=str(ARTEFACTS / "trainer-gate-blocked.png"), full_page=True)
    anyway = page.locator("#publish-result button.danger")
    assert anyway.is_disabled()  # publishing anyway needs a note
    assert page.inner_text("#live-version") == "v1"

    page.fill("#gate-note", "退货入口改版，先合并到七天无理由")
    anyway.click()
    page.locator("#publish-result.ok").wait_for(timeout=PUBLISHING)
    assert "强制发布" in page.inner_text("#publish-result")
    context.close()


HOSTILE_CATEGORY = "售后/<img src=x onerror=window.__xss=2>"
HOSTILE_SIMILAR = "<script>window.__xss=3</script>退款到哪了"


@pytest.fixture(scope="module")
def mini_server(tmp_path_factory):
    """The mini KB on SQLite; the refund entry's answer, category and a similar question are HTML."""
    folder = tmp_path_factory.mktemp("mini-workbench")
    data = yaml.safe_load(MINI_KB)
    refund = data["entries"][0]
    refund.update(answer=refund["answer"] + XSS, category=HOSTILE_CATEGORY, similar=refund["similar"] + [HOSTILE_SIMILAR])
    kb = folder / "kb.yml"
    kb.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    yield from serve_workbench(str(folder / "faqbot.sqlite3"), kb, folder, ("li", "trainer", ["general"], "小李"),
                               ("zhao", "trainer", ["general"], "小赵"))


def test_second_trainer_saving_a_stale_entry_gets_a_conflict_and_overwrites_nothing(browser, mini_server):
    url, _, _ = mini_server
    first_context, first = open_workbench(browser, url, "li")
    second_context, second = open_workbench(browser, url, "zhao")
    open_entry(first, "运费", "fee")
    open_entry(second, "运费", "fee")

    first.fill("#f-answer", "满199包邮。")
    first.click("#save")
    first.locator("#editor-note", has_text="已保存").wait_for()
    second.fill("#f-answer", "满49包邮。")
    second.click("#save")
    second.locator("#editor-note.conflict", has_text="保存冲突").wait_for()
    assert "li" in second.locator("#editor-note .detail").inner_text()  # who changed it
    assert _draft_answer(url, second) == "满199包邮。"
    second.screenshot(path=str(ARTEFACTS / "trainer-conflict.png"), full_page=True)

    second.locator("#editor-note button", has_text="重新加载").click()
    second.wait_for_function("() => document.getElementById('f-answer').value === '满199包邮。'")
    second.fill("#f-answer", "满49包邮。")  # applied again on the fresh revision: saved
    second.click("#save")
    second.locator("#editor-note", has_text="已保存").wait_for()
    assert _draft_answer(url, second) == "满49包邮。"
    first_context.close()
    second_context.close()


def test_kb_content_that_is_html_is_shown_as_text(browser, mini_server):
    url, _, _ = mini_server
    context, page = open_workbench(browser, url, "li")
    page.locator("#categories .cat", has_text="<img").wait_for()  # the category tree
    open_entry(page, "退款多久", "refund")
    assert page.input_value("#f-answer").endswith(XSS)
    assert page.input_value("#f-category") == HOSTILE_CATEGORY
    assert HOSTILE_SIMILAR in page.locator("#f-similar input").evaluate_all("inputs => inputs.map(i => i.value)")

    page.fill("#try-text", "退款多久到账")  # the test window shows the draft's and the live answer
    page.click("#try")
    page.locator("#try-result .draft .text", has_text=XSS).wait_for(timeout=60_000)
    page.locator("#try-result .live .text", has_text=XSS).wait_for()
    page.click("#tabs [data-tab=audit]")  # the audit log quotes the imported entries
    page.locator("#audit tbody tr").first.wait_for()
    page.click("#tabs [data-tab=quality]")
    page.locator("#quality-summary", has_text="错误").wait_for()

    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('#bench img, #bench script').length") == 0
    page.screenshot(path=str(ARTEFACTS / "trainer-html-as-text.png"), full_page=True)
    context.close()


def _draft_answer(url, page):
    token = page.evaluate("sessionStorage.getItem('faqbot-agent-token')")
    entry = httpx.get(f"{url}/api/trainer/entries/fee", headers={"Authorization": f"Bearer {token}"}).json()
    return entry["answer"]["default"]
