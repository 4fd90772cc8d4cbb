"""The web widget in a real headless Chromium (Debian's package, driven by Playwright)."""
import pytest

from bot.http.app import create_app
from tests.browser import ARTEFACTS, serving
from tests.conftest import wait_until


@pytest.fixture(scope="module")
def server_app(demo_bot, demo_config):
    return create_app(demo_bot, settings=demo_config.server)


@pytest.fixture(scope="module")
def server(server_app):
    with serving(server_app) as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    yield page
    context.close()


def test_welcome_card_shows_shipping_questions_for_a_customer_with_a_recent_order(page, demo_bot):
    first = page.locator(".fq-bot .fq-opt").first
    first.wait_for()
    titles = page.locator(".fq-bot .fq-opt").all_inner_texts()
    assert titles and all(any(e.question == t and e.category.startswith("物流") for e in demo_bot.kb) for t in titles)


def test_vague_question_offers_options_and_a_click_answers(page, demo_bot):
    page.fill(".fq-form input", "快递")
    page.press(".fq-form input", "Enter")
    options = page.locator(".fq-bot").nth(1).locator(".fq-opt")
    options.first.wait_for()
    assert options.count() >= 2
    chosen = options.nth(1).inner_text()
    options.nth(1).click()
    entry = next(e for e in demo_bot.kb if e.question == chosen)
    page.locator(".fq-bot", has_text=entry.answer_for()[:20]).wait_for()
    assert page.locator(".fq-me").last.inner_text() == chosen
    page.screenshot(path=str(ARTEFACTS / "widget-clarify-then-answer.png"))


def test_suggestions_appear_while_typing(page):
    page.type(".fq-form input", "发票", delay=50)
    page.locator(".fq-sug button").first.wait_for()
    assert all("发票" in t for t in page.locator(".fq-sug button").all_inner_texts()[:1])


def test_customer_html_is_shown_as_text_never_run(page):
    payload = '<img src=x onerror="window.pwned=1">'
    page.fill(".fq-form input", payload)
    page.press(".fq-form input", "Enter")
    page.locator(".fq-me", has_text="<img").wait_for()
    page.locator(".fq-bot").nth(1).wait_for()
    assert page.locator(".fq-panel img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_feedback_buttons_store_the_rating(page, server_app):
    page.fill(".fq-form input", "退款多久能到账啊")
    page.press(".fq-form input", "Enter")
    thumbs_down = page.locator(".fq-fb button[title='没帮助']").first
    thumbs_down.wait_for()
    thumbs_down.click()
    page.locator(".fq-fb", has_text="感谢").wait_for()
    store = server_app.state.conversations.store
    wait_until(lambda: any(f["kind"] == "helpful" and f["value"] == "no" for f in store.feedback()), 10,
               "the 👎 stored (the POST may land a moment after the thanks is shown)")


def test_traditional_characters_get_the_answer(page, demo_bot):
    page.fill(".fq-form input", "退款多久到帳")
    page.press(".fq-form input", "Enter")
    page.locator(".fq-bot", has_text=demo_bot.kb["refund_progress"].answer_for()[:15]).wait_for()


def test_the_conversation_survives_a_reload(page, demo_bot):
    page.fill(".fq-form input", "运费怎么算")
    page.press(".fq-form input", "Enter")
    answer = demo_bot.kb["shipping_fee"].answer_for()
    page.locator(".fq-bot", has_text=answer[:15]).wait_for()
    page.reload()
    page.locator(".fq-me", has_text="运费怎么算").wait_for()  # panel reopens with the history
    assert any(t.startswith(answer) for t in page.locator(".fq-bot").all_inner_texts())


def test_phone_sized_viewport_uses_the_whole_screen(browser, server, tmp_path_factory):
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    box = page.locator(".fq-panel").bounding_box()
    assert box["width"] == 375 and box["height"] == 667
    page.screenshot(path=str(ARTEFACTS / "widget-phone.png"))
    context.close()
