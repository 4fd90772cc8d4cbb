"""The 转人工 button (always / after the first miss / never) and the first-screen menu in real Chromium."""
import pytest

from bot.config import HandoffConfig, ServerConfig, load_config
from bot.http.app import create_app
from bot.widget_settings import WidgetConfig
from knowledge_base.errors import InvalidInput
from tests.browser import ARTEFACTS, serving
from tests.conftest import ROOT, add_staff

MENU = ({"label": "订单", "entry": "order_status"}, {"label": "售后", "group": "expert"},
        {"label": "旧菜单", "entry": "no_such_entry"}, {"label": "人工", "group": "general"})


def widget_server(demo_bot, **widget):
    app = create_app(demo_bot, settings=ServerConfig(widget=WidgetConfig(**widget)), handoff=HandoffConfig())
    add_staff(app, ("zhao", "agent", ["general", "expert"], "小赵"))
    app.state.conversations.desk.set_status(app.state.conversations.desk.agents()[0]["id"], "online")
    return app


@pytest.fixture(scope="module")
def after_miss(demo_bot):
    app = widget_server(demo_bot, person_button="after_miss", menu=MENU)
    with serving(app) as url:
        yield app, url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def opened(page, url):
    page.goto(url + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    return page


def type_in(page, text):
    page.fill(".fq-form input", text)
    page.press(".fq-form input", "Enter")


def test_the_menu_asks_a_question_and_the_person_button_comes_after_a_miss(page, after_miss, demo_bot):
    app, url = after_miss
    opened(page, url)
    assert page.locator(".fq-menu").all_inner_texts() == ["订单", "售后", "人工"]  # the retired entry is left out
    type_in(page, "火星上的天气怎么样")
    page.locator(".fq-person").wait_for()
    page.click(".fq-menu >> text=订单")
    page.locator(".fq-bot", has_text=demo_bot.kb["order_status"].answer_for()[:15]).wait_for()
    assert page.locator(".fq-me").last.inner_text() == "订单"
    page.screenshot(path=str(ARTEFACTS / "widget-person-button.png"))
    page.click(".fq-person")
    page.locator(".fq-note", has_text="前面还有").wait_for()
    session = page.evaluate("localStorage.getItem('faqbot-session')")
    assert app.state.conversations.desk.open_handoff(session)["group"] == "general"
    page.reload()
    page.locator(".fq-me").last.wait_for()
    assert page.locator(".fq-me").all_inner_texts() == ["火星上的天气怎么样", "订单", "转人工"]


def test_the_menu_sends_a_customer_to_the_skill_group_it_names(page, after_miss):
    app, url = after_miss
    opened(page, url)
    page.click(".fq-menu >> text=售后")
    page.locator(".fq-note", has_text="前面还有").wait_for()
    session = page.evaluate("localStorage.getItem('faqbot-session')")
    assert app.state.conversations.desk.open_handoff(session)["group"] == "expert"


@pytest.mark.parametrize("mode, shown", [("always", 1), ("never", 0)])
def test_the_person_button_always_or_never(page, demo_bot, mode, shown):
    with serving(widget_server(demo_bot, person_button=mode)) as url:
        opened(page, url)
        type_in(page, "火星上的天气怎么样")
        page.locator(".fq-log > .fq-bot").nth(1).wait_for()
        assert page.locator(".fq-person").count() == shown and page.locator(".fq-menu").count() == 0


def test_bad_widget_settings_are_refused_at_load(write):
    with pytest.raises(InvalidInput, match="person_button"):
        load_config(ROOT / "config.yml", {"server.widget.person_button": "sometimes"})
    with pytest.raises(InvalidInput, match="server.widget.menu"):
        WidgetConfig(menu=({"label": "订单", "entry": "order_status", "group": "general"},))
    assert load_config(ROOT / "config.yml").server.widget.menu[0] == {"label": "订单", "entry": "order_status"}
