"""The workbench in a real Chromium: a trainer sees an entry's action and edits its answer template."""
from __future__ import annotations

import httpx
import yaml

from tests.bot.http.test_trainer_page import open_entry, open_workbench, serve_workbench
from tests.conftest import MINI_KB


def test_a_trainer_sees_and_edits_an_entrys_action_template(browser, tmp_path):
    data = yaml.safe_load(MINI_KB)
    cancel = next(e for e in data["entries"] if e["id"] == "cancel")
    cancel["action"] = {"name": "order_status", "answer": {"default": "订单 {order_number}：{status}", "app": "App {status}"}}
    kb = tmp_path / "kb.yml"
    kb.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for url, _, _ in serve_workbench(str(tmp_path / "faqbot.sqlite3"), kb, tmp_path, ("li", "trainer", ["general"], "小李")):
        context, page = open_workbench(browser, url, "li")
        open_entry(page, "取消订单", "cancel")
        assert page.input_value("#f-action-name") == "order_status"
        assert page.input_value("#f-action-answer") == "订单 {order_number}：{status}"
        page.fill("#f-action-answer", "订单 {order_number} 现在{status}")
        page.click("#save")
        page.locator("#editor-note", has_text="已保存").wait_for()
        token = page.evaluate("sessionStorage.getItem('faqbot-agent-token')")
        saved = httpx.get(f"{url}/api/trainer/entries/cancel", headers={"Authorization": f"Bearer {token}"}).json()
        assert saved["action"]["answer"] == {"default": "订单 {order_number} 现在{status}", "app": "App {status}"}
        context.close()
