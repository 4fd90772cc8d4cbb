"""The agent workspace in a real Chromium: the bot's lookup travels with the hand-off, and the agent starts a
refund within their limit from the 查询 / 操作 panel."""
from __future__ import annotations

import httpx

from bot.config import load_config
from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base.environment import Environment
from tests.browser import ARTEFACTS, serving
from tests.conftest import ROOT, Customer, add_staff, browser_sign_in, free_port


def test_the_agent_sees_the_bots_lookup_and_refunds_from_the_workspace(browser, demo_bot, fresh_store_url):
    port = free_port()
    base = f"http://127.0.0.1:{port}/demo/orders/{{order_number}}"
    config = load_config(ROOT / "config.yml", {"actions.calls.order_status.url": base,
                                               "actions.calls.refund.url": base + "/refund"})
    app = create_app(demo_bot, ConversationStore(fresh_store_url), config.server, config.handoff,
                     actions=config.actions, environment=Environment(ROOT / ".cache" / "test", actions_secret="s"))
    add_staff(app, ("wang", "agent", ["general", "expert", "complaints"], "小王"))
    with serving(app, port) as url, httpx.Client(base_url=url, timeout=30) as client:
        context, agent = browser_sign_in(browser, url + "/agent", "wang")
        agent.locator("#me", has_text="小王").wait_for()
        shopper = Customer(client, "refund-shopper")
        assert "已发货" in shopper.say("帮我查下这单到哪了 202611230001")["text"]
        assert shopper.say("转人工")["decision"] == "handoff"
        agent.locator("#queue .item button").first.click()
        panel = agent.locator("#packet .lookups")
        panel.locator(".lookup", has_text="已发货，运输中").wait_for()
        panel.locator(".lookup-action").select_option("refund")
        assert panel.locator("input[name=order_number]").input_value() == "202611230001"  # from the bot's lookup
        panel.locator("input[name=amount]").fill("100")
        panel.locator("button", has_text="执行").click()
        panel.locator(".lookup-result", has_text="退款已受理").wait_for()
        agent.screenshot(path=str(ARTEFACTS / "agent-workspace-refund.png"))
        panel.locator("input[name=amount]").fill("300")
        panel.locator("button", has_text="执行").click()
        panel.locator(".lookup-result .error", has_text="上限 200").wait_for()
        context.close()
