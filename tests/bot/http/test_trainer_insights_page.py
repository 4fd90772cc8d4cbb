"""The workbench's views of what customers got, in a real headless Chromium on SQLite: the 知识分析 tab
(sorted by any column, exported as CSV) over conversations held through the HTTP API, the 测试窗
saying 重新训练中 until the edited draft answers, the entry search ranked by the bot's retrieval, and
the quality tab in Chinese."""
import csv
import io
import re

import httpx
import pytest

from tests.bot.http.test_trainer_page import open_entry, open_workbench, serve_workbench
from tests.browser import ARTEFACTS
from tests.conftest import DEMO, browser_sign_in, say

FEE, VAGUE = "运费怎么算", "快递"
GIFT = ["礼品卡怎么绑定到账户", "礼品卡如何绑定账号", "怎么绑定礼品卡"]
QUESTION, TARGET = "东西坏了找谁", "repair_apply"  # version 1 does not answer it with the repair entry
TRAINING = 300_000  # ms: the edited demo draft trains on a shared 2-core machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("insights")
    for served in serve_workbench(str(folder / "faqbot.sqlite3"), DEMO / "kb.yml", folder,
                                  ("trainer", "trainer", ["general"], "训练师")):
        url = served[0]
        with httpx.Client(base_url=url, timeout=60) as client:
            tokens = {}
            for n in range(3):  # answered three times, two of them voted helpful
                said = say(client, f"fee-{n}", FEE, tokens)
                assert said.reply["entry_id"] == "shipping_fee"
                client.post("/api/feedback", json={"session_id": f"fee-{n}", "message_id": said.reply["message_id"],
                                                   "helpful": n < 2}, headers={"X-Session-Token": tokens[f"fee-{n}"]})
            assert say(client, "vague", VAGUE, tokens).reply["decision"] == "clarify"
            for n, text in enumerate(GIFT):  # nothing in the demo shop answers them
                assert say(client, f"gift-{n}", text, tokens).reply["decision"] in ("fallback", "clarify")
        yield served


def _rows(page):
    return page.locator("#analytics tbody tr").evaluate_all("rows => rows.map(r => r.getAttribute('data-entry-row'))")


def test_the_analytics_tab_sorts_by_any_column_and_exports_csv(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    page.click("#tabs [data-tab=analytics]")
    page.locator("#analytics tbody tr").first.wait_for()
    assert _rows(page)[0] == "shipping_fee"  # most hits first
    fee = page.locator("#analytics tr[data-entry-row=shipping_fee]")
    assert fee.locator("td.hits").inner_text() == "3" and fee.locator("td.helpful_rate").inner_text() == "67%"

    page.click("#analytics th[data-sort=clarify_share]")  # the entry the vague question was near comes first
    page.locator("#analytics th[data-sort=clarify_share]", has_text="▼").wait_for()
    first = page.locator("#analytics tbody tr").first
    assert first.locator("td.clarify_share").inner_text() == "100%" and VAGUE in first.locator("td.unanswered").inner_text()
    page.click("#analytics th[data-sort=hits]")
    page.click("#analytics th[data-sort=hits]")  # twice: fewest hits first
    page.locator("#analytics th[data-sort=hits]", has_text="▲").wait_for()
    assert _rows(page)[-1] == "shipping_fee"

    page.check("#analytics-stale")  # entries nobody was answered with
    assert "shipping_fee" not in _rows(page) and len(_rows(page)) > 10
    with page.expect_download() as downloaded:
        page.click("#analytics-export")
    table = list(csv.DictReader(io.StringIO(open(downloaded.value.path(), encoding="utf-8-sig").read())))
    assert next(r for r in table if r["entry_id"] == "shipping_fee")["hits"] == "3"
    page.screenshot(path=str(ARTEFACTS / "trainer-analytics.png"), full_page=True)
    context.close()


def test_the_try_panel_says_retraining_then_shows_the_edited_drafts_answer(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    open_entry(page, "坏了", TARGET)
    page.fill("#f-add-similar", QUESTION)
    page.click("#add-similar")
    page.locator("#editor-note", has_text="已添加相似问").wait_for()
    page.fill("#try-text", QUESTION)
    page.click("#try")
    page.locator("#try-result .draft.retraining", has_text="重新训练中").wait_for()
    page.locator("#try-note", has_text="重新训练中").wait_for()
    assert page.locator("#try-result .draft .decision").count() == 0  # no earlier draft's reply meanwhile
    page.locator("#try-result .draft .decision[data-decision=answer]").wait_for(timeout=TRAINING)
    assert page.locator("#try-result .draft h4 + .muted [data-entry]").inner_text() == TARGET
    assert page.locator("#try-note").inner_text() == ""
    page.screenshot(path=str(ARTEFACTS / "trainer-try-retrained.png"), full_page=True)
    context.close()


def test_searching_ranks_the_invoice_entries_first(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    page.fill("#search", "发票")
    page.wait_for_function("() => document.querySelector('#entries .entry') && "
                           "document.querySelector('#entries .entry').getAttribute('data-id').startsWith('invoice_')")
    ids = page.locator("#entries .entry").evaluate_all("items => items.map(i => i.getAttribute('data-id'))")
    assert ids[:2] == ["invoice_how", "invoice_download"] and "order_place" not in ids[:3]
    context.close()


def test_the_quality_tab_speaks_chinese(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    page.click("#tabs [data-tab=quality]")
    page.locator("#quality tbody tr").first.wait_for()
    texts = page.locator("#quality tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[1].textContent, r.cells[2].textContent])")
    assert texts
    for kind, message in texts:
        assert re.search(r"[\u4e00-\u9fff]", kind) and re.search(r"[\u4e00-\u9fff]", message)
        assert not re.search(r"\b(the|has|are|customers|similar|answer)\b", message), message
    headers = page.locator("#quality thead th").all_inner_texts() + [page.inner_text("#tabs [data-tab=quality]")]
    assert not [h for h in headers if re.search(r"[A-Za-z]", h)]
    context.close()


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_label_is_chinese_and_english_with_an_english_ui(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    tabs = page.locator("#tabs button").all_inner_texts()
    assert tabs and not [t for t in tabs if re.search(r"[A-Za-z]", t)]  # no English hints beside the Chinese
    context.close()

    context, page = browser_sign_in(browser, url + "/trainer?lang=en", "trainer")
    page.locator("#live-version", has_text="v").wait_for()
    labels = (page.locator("#tabs button").all_inner_texts() + page.locator("header span.stat").all_inner_texts()
              + [page.get_attribute("#search", "placeholder"), page.inner_text("#publish")])
    assert not [text for text in labels if CJK.search(text)], labels
    page.click("#tabs [data-tab=quality]")
    page.locator("#quality tbody tr").first.wait_for()
    messages = page.locator("#quality tbody td:nth-child(3)").all_inner_texts()
    assert messages and any("answer" in m for m in messages) and not [m for m in messages if CJK.search(m.split(":")[0])]
    assert not [h for h in page.locator("#quality thead th").all_inner_texts() if CJK.search(h)]
    page.click("#tabs [data-tab=analytics]")
    page.locator("#analytics tbody tr").first.wait_for()
    assert not [h for h in page.locator("#analytics thead th").all_inner_texts() if CJK.search(h)]
    page.fill("#try-text", FEE)
    page.click("#try")
    page.locator("#try-result .live .decision[data-decision=answer]", has_text="answer").wait_for(timeout=TRAINING)
    page.screenshot(path=str(ARTEFACTS / "trainer-english.png"), full_page=True)
    context.close()


def test_suggestions_say_why_in_words_and_never_suggest_the_vague_keyword(browser, server):
    url, _, _ = server
    context, page = open_workbench(browser, url, "trainer")
    page.click("#tabs [data-tab=suggestions]")
    page.click("#mine")
    page.locator("#mine-result", has_text="待处理").wait_for(timeout=120_000)
    card = page.locator(".suggestion", has_text=GIFT[0])
    card.wait_for()
    reason = card.locator(".reason").inner_text()
    assert "机器人没有解决" in reason and "{" not in reason and "clarify_ignored" not in reason
    assert page.locator(".suggestion .qs label", has_text=VAGUE).count() == 0
    page.screenshot(path=str(ARTEFACTS / "trainer-suggestions.png"), full_page=True)
    context.close()
