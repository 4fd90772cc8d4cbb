"""The widget on a 390×844 phone and a desktop in real Chromium: closing and reopening, reloads,
keyboard-only use, ARIA roles, contrast, icons, English pages and no failing requests."""
import pytest

from bot.http.app import create_app
from tests.browser import ARTEFACTS, serving

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
ENGLISH_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
                '<body><p>An English shop</p><script src="/widget.js"></script></body></html>')


@pytest.fixture(scope="module")
def server(demo_bot, demo_config):
    with serving(create_app(demo_bot, settings=demo_config.server)) as url:
        yield url


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(server + "/")
    yield page
    context.close()


def launcher_in_reach(page) -> bool:
    """The launcher is on screen and is what a tap at its centre hits (nothing covers it)."""
    return page.evaluate("""() => {
        const b = document.querySelector('.fq-launch'), r = b.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        return r.width > 0 && r.bottom <= innerHeight && r.right <= innerWidth && document.elementFromPoint(x, y) === b;
    }""")


def test_on_a_phone_the_panel_closes_and_a_reload_keeps_it_closed(phone):
    phone.click(".fq-launch")
    phone.locator(".fq-opt").first.wait_for()
    assert phone.locator(".fq-panel").bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    phone.fill(".fq-form input", "运费怎么算")
    phone.press(".fq-form input", "Enter")
    phone.locator(".fq-fb").wait_for()
    phone.screenshot(path=str(ARTEFACTS / "widget-phone-open.png"))
    phone.click("[aria-label='关闭']")
    assert not phone.locator(".fq-panel").is_visible()
    assert launcher_in_reach(phone)
    phone.reload()
    phone.locator(".fq-launch").wait_for()
    assert not phone.locator(".fq-panel").is_visible(), "a reload on a phone must not cover the page again"
    assert launcher_in_reach(phone)
    phone.click(".fq-launch")
    phone.locator(".fq-me", has_text="运费怎么算").wait_for()  # reopened with the conversation
    phone.screenshot(path=str(ARTEFACTS / "widget-phone-reopened.png"))


def test_options_are_in_view_after_they_are_rendered(phone):
    phone.click(".fq-launch")
    phone.locator(".fq-opt").first.wait_for()
    for n, text in enumerate(["运费怎么算", "退款多久能到账啊", "怎么开发票", "快递"], 1):
        phone.fill(".fq-form input", text)
        phone.press(".fq-form input", "Enter")
        phone.locator(".fq-log > .fq-bot").nth(n).wait_for()
    last = phone.locator(".fq-log > .fq-bot").last.locator(".fq-opt").last
    last.wait_for()
    assert phone.evaluate("() => { const l = document.querySelector('.fq-log'); "
                          "return l.scrollHeight > l.clientHeight + 100; }"), "the log must overflow for this test"
    assert last.evaluate("(b) => { const l = b.closest('.fq-log').getBoundingClientRect(), r = b.getBoundingClientRect();"
                         " return r.bottom <= l.bottom + 1 && r.top >= l.top; }")


def test_keyboard_only_open_ask_vote_and_close(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "fq-launch"
    page.keyboard.press("Enter")
    page.locator(".fq-opt").first.wait_for()
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    page.keyboard.type("运费怎么算")
    page.keyboard.press("Enter")
    page.locator(".fq-fb button").first.wait_for()
    inside = []
    for _ in range(40):  # far more stops than the panel has: focus must wrap around inside it
        page.keyboard.press("Tab")
        inside.append(page.evaluate("document.querySelector('.fq-panel').contains(document.activeElement)"))
    assert all(inside)
    while page.evaluate("document.activeElement.getAttribute('aria-label')") != "有帮助":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".fq-fb", has_text="感谢您的反馈").wait_for()
    page.keyboard.press("Escape")
    assert not page.locator(".fq-panel").is_visible()
    assert page.evaluate("document.activeElement.className") == "fq-launch"
    assert page.get_attribute(".fq-launch", "aria-expanded") == "false"
    context.close()


def test_roles_icons_and_contrast(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.click(".fq-launch")
    page.fill(".fq-form input", "运费怎么算")
    page.press(".fq-form input", "Enter")
    page.locator(".fq-fb button").first.wait_for()
    assert page.get_by_role("dialog").count() == 1 and page.get_by_role("log").count() == 1
    assert page.get_by_role("button", name="关闭").is_visible()
    for label in ("有帮助", "没帮助"):  # drawn as SVG: no emoji font needed
        thumb = page.get_by_role("button", name=label)
        assert thumb.locator("svg path").count() == 1 and thumb.inner_text().strip() == ""
    page.evaluate("""() => { const log = document.querySelector('.fq-log');  // the grey texts a hand-off brings
        for (const cls of ['fq-note', 'fq-who']) { const n = document.createElement('div'); n.className = cls;
                                                   n.textContent = '示例'; log.appendChild(n); } }""")
    ratios = page.evaluate(CONTRAST, [".fq-launch", ".fq-head", ".fq-opt", ".fq-form button", ".fq-note",
                                      ".fq-who", ".fq-msg.fq-bot", ".fq-me", ".fq-fb"])
    assert all(r >= 4.5 for r in ratios.values()), ratios
    context.close()


def test_an_english_page_gets_english_labels(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.route(server + "/english-shop", lambda route: route.fulfill(body=ENGLISH_PAGE, content_type="text/html"))
    page.goto(server + "/english-shop")
    assert page.inner_text(".fq-launch") == "Chat with us"
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    assert page.get_by_role("button", name="Close").is_visible()
    assert page.get_attribute(".fq-form input", "placeholder") == "Type your question"
    context.close()


def test_no_page_request_fails(browser, server):
    context = browser.new_context()
    page = context.new_page()
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(server + "/")
    page.click(".fq-launch")
    page.locator(".fq-opt").first.wait_for()
    for path in ("/favicon.ico", "/favicon.svg"):
        response = context.request.get(server + path)
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert failed == []
    context.close()


CONTRAST = """(selectors) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    const luminance = (rgb) => { const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).map(Number);
                                 return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
    const background = (node) => { for (; node; node = node.parentElement) {
        const c = getComputedStyle(node).backgroundColor;
        if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
    const out = {};
    for (const s of selectors) {
        const node = document.querySelector(s);
        const a = luminance(getComputedStyle(node).color), b = luminance(background(node));
        out[s] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }
    return out;
}"""


def test_an_english_knowledge_base_turns_the_panel_english(browser, server):
    """The page says nothing (zh-CN shop); the server's knowledge base is English (its welcome says so)."""
    context = browser.new_context()
    page = context.new_page()

    def english(route):
        card = route.fetch().json()
        route.fulfill(json=dict(card, language="en"))

    page.route("**/api/welcome*", english)
    page.goto(server + "/")
    page.click(".fq-launch")
    page.get_by_role("button", name="Close").wait_for()
    assert page.get_attribute(".fq-form input", "placeholder") == "Type your question"
    assert page.inner_text(".fq-form button[type=submit]") == "Send"
    context.close()
