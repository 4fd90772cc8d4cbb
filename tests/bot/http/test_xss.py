"""Script in customer messages, KB answers, agent replies, customer attributes and evaluation reports
is shown as text, never run — checked in real Chromium in the widget, the agent workspace and the
HTML report (the trainer pages have their own check in test_trainer_page.py)."""
import json

import pytest
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import ARTEFACTS, serving
from tests.conftest import browser_sign_in
from tests.bot.http.test_agent_workspace import customer, type_in

PAYLOAD = '<img src=x onerror="window.__xss=1">'
ENTRIES = [
    {"id": "coupon", "question": "优惠券怎么用", "similar": ["优惠券在哪里用", "怎么使用优惠券", "券怎么用"],
     "answer": f"结算时选择优惠券即可。{PAYLOAD}"},
    {"id": "fee", "question": "运费怎么算", "similar": ["邮费多少", "运费多少钱", "包邮吗"], "answer": "满99包邮。"},
    {"id": "invoice", "question": "怎么开发票", "similar": ["发票在哪开", "能开发票吗", "开票流程"], "answer": "订单详情页申请。"},
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("xss") / "kb.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in ENTRIES), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(kb, demo_config):
    from training.model_cache import train_cached

    bot, _ = train_cached(kb, demo_config, show_progress=False)
    app = create_app(bot, ConversationStore(), handoff=HandoffConfig())
    app.state.conversations.desk.add_agent("wang", "agent-pass-1", "小王", "agent", ["general"])
    with serving(app) as url:
        yield url


def _inert(page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0


def test_widget_and_workspace_show_hostile_text_as_text(browser, server):
    import httpx

    agent_context, agent = browser_sign_in(browser, server + "/agent", "wang", "agent-pass-1")
    agent.locator("#me", has_text="小王").wait_for()
    context, page = customer(browser, server)
    type_in(page, "优惠券怎么用")
    page.locator(".fq-bot", has_text="onerror").wait_for()  # the answer's markup, shown as characters
    type_in(page, f"我的问题 {PAYLOAD}")
    type_in(page, "转人工")
    page.locator(".fq-note", has_text="前面还有").wait_for()
    agent.locator("#queue .item button").first.click()
    agent.locator("#log .customer", has_text="onerror").first.wait_for()
    agent.fill("#text", f"您好 {PAYLOAD}")
    agent.press("#text", "Enter")
    page.locator(".fq-agent", has_text="onerror").wait_for()
    httpx.post(server + "/api/messages", json={"session_id": "hostile-attributes", "text": "转人工",
                                               "attributes": {"vip_level": PAYLOAD}})
    agent.reload()
    agent.locator("#queue .item button").first.click()
    agent.locator("#packet", has_text="onerror").wait_for()
    page.screenshot(path=str(ARTEFACTS / "xss-widget.png"))
    agent.screenshot(path=str(ARTEFACTS / "xss-workspace.png"))
    _inert(page)
    _inert(agent)
    context.close()
    agent_context.close()


def test_the_html_evaluation_report_shows_hostile_queries_as_text(browser, kb, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"text": f"优惠券 {PAYLOAD}", "expected_id": "fee"}, ensure_ascii=False) + "\n"  # wrong: listed
                       + json.dumps({"text": f"<script>window.__xss=1</script>发票", "expected_id": "invoice"},
                                    ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "--kb", str(kb), "--queries", str(queries), "--report",
                                      str(tmp_path / "report"), "--no-progress"])
    assert result.exit_code == 0, result.output
    context = browser.new_context()
    page = context.new_page()
    page.goto((tmp_path / "report" / "report.html").as_uri())
    assert "onerror" in page.content()
    _inert(page)
    context.close()
