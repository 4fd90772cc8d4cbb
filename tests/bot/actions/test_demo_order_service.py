"""`bash run.sh`'s demo shop: its widget answers "帮我查下这单到哪了 <number>" from the in-process order service."""
from __future__ import annotations

from contextlib import contextmanager

from fastapi.testclient import TestClient

from bot.config import load_config
from bot.http.app import create_app
from knowledge_base.environment import Environment
from tests.browser import ARTEFACTS, serving
from tests.conftest import ROOT, free_port

SECRET = "demo-actions-secret"


def demo_app(bot, port: int, secret: str = SECRET):
    """The app `faqbot serve` builds on the demo config, its order service on ``port``."""
    config = load_config(ROOT / "config.yml", {
        "actions.calls.order_status.url": f"http://127.0.0.1:{port}/demo/orders/{{order_number}}"})
    assert config.actions.demo_service  # on in the demo config
    return create_app(bot, settings=config.server, handoff=config.handoff, actions=config.actions,
                      environment=Environment(ROOT / ".cache" / "test", actions_secret=secret))


@contextmanager
def demo_widget(browser, bot):
    """The demo shop's page on a real server, its chat panel open."""
    port = free_port()
    with serving(demo_app(bot, port), port) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.click(".fq-launch")
        try:
            yield page
        finally:
            context.close()


def test_the_demo_order_service_refuses_calls_without_faqbots_signature(demo_bot):
    client = TestClient(demo_app(demo_bot, free_port()))
    assert client.get("/demo/orders/202611230001").status_code == 401


def test_the_demo_widget_answers_an_orders_status_by_its_number(browser, demo_bot):
    with demo_widget(browser, demo_bot) as page:
        page.fill(".fq-form input", "帮我查下这单到哪了 202611230001")
        page.press(".fq-form input", "Enter")
        answer = page.locator(".fq-bot", has_text="您的订单 202611230001 已发货，运输中")
        answer.wait_for(timeout=15_000)
        assert "顺丰速运" in answer.inner_text() and "SF" in answer.inner_text()
        page.screenshot(path=str(ARTEFACTS / "widget-order-status.png"))


def test_the_demo_welcome_card_offers_the_customers_recent_order(browser, demo_bot):
    """The demo shop page passes recent_order (demo config: unsigned attributes trusted, the page is static)."""
    with demo_widget(browser, demo_bot) as page:
        page.locator(".fq-bot", has_text="您最近的订单 202611230001 已发货，运输中").wait_for(timeout=15_000)
        page.click(".fq-order")
        page.locator(".fq-bot", has_text="顺丰速运").wait_for(timeout=15_000)  # the order-status entry looked it up
