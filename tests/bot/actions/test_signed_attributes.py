"""Customer attributes fill lookups only when the host page's backend signed them (docs/actions.md)."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from bot.actions.attributes import sign_attributes, trusted_attributes
from bot.actions.lookups import Lookups
from bot.http.app import create_app
from bot.service.chat import ChatSession
from knowledge_base.environment import Environment
from tests.bot.actions.order_service import SECRET, actions_config, order_service
from tests.conftest import ROOT

HOST_SECRET = "host-backend-secret"


def signed(attributes: dict, secret: str = HOST_SECRET, at: float = None) -> dict:
    """What the shop's backend puts on its page."""
    signed_at = str(int(at or time.time()))
    return dict(attributes, signed_at=signed_at, signature=sign_attributes(secret, attributes, signed_at))


@pytest.fixture(scope="module")
def service():
    with order_service() as s:
        yield s


def test_only_rightly_signed_fresh_attributes_are_trusted():
    page = {"recent_order": "202611230001", "vip_level": 3}
    assert trusted_attributes(signed(page), HOST_SECRET) == page
    assert trusted_attributes(dict(signed(page), recent_order="202611239999"), HOST_SECRET) == {}  # edited on the page
    assert trusted_attributes(signed(page, "another-secret"), HOST_SECRET) == {}
    assert trusted_attributes(signed(page, at=time.time() - 3 * 24 * 3600), HOST_SECRET) == {}  # yesterday's page
    assert trusted_attributes(page, HOST_SECRET) == {} and trusted_attributes(page, "", unsigned=True) == page


@pytest.mark.parametrize("attributes, looked_up", [(signed({"recent_order": "202611230002"}), True),
                                                   ({"recent_order": "202611230002"}, False)])
def test_a_signed_recent_order_is_looked_up_without_asking_for_it(demo_bot, service, attributes, looked_up):
    config = replace(actions_config(service.url), unsigned_attributes=False)
    chat = ChatSession(demo_bot, "web", attributes=attributes,
                       lookups=Lookups.build(config, SECRET, attributes_secret=HOST_SECRET))
    reply = chat.send("我的快递到哪了")
    assert ("待发货" in reply.text) is looked_up and reply.text.startswith("请提供您的订单号") is not looked_up


def test_the_welcome_card_shows_the_customers_recent_order(demo_bot, service):
    app = create_app(demo_bot, actions=actions_config(service.url),
                     environment=Environment(ROOT / ".cache" / "test", actions_secret=SECRET,
                                             attributes_secret=HOST_SECRET))
    card = TestClient(app).get("/api/welcome", params={
        "attributes": json.dumps(signed({"recent_order": "202611230001"}))}).json()
    assert card["recent_order"]["text"] == "您最近的订单 202611230001 已发货，运输中，想咨询这个订单吗？"
    assert card["questions"]  # 猜你想问 as before
