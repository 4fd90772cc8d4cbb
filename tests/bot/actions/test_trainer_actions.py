"""Trainers see and edit an entry's action and template in the workbench; the 测试窗 runs the action."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.bot.actions.order_service import order_service
from tests.conftest import sign_in, started_workbench, workbench_app


@pytest.fixture(scope="module")
def client(store_url, tmp_path_factory):
    with order_service(secret="") as service:  # this process has no FAQBOT_ACTIONS_SECRET: calls go unsigned
        bench, bot = started_workbench(store_url, tmp_path_factory.mktemp("workbench"),
                                       **{"actions__calls__order_status__url": service.url})
        app = workbench_app(bench, bot, ("trainer", "trainer", ["general"], "训练师"))
        with TestClient(app) as client:
            client.headers.update(sign_in(client, "trainer"))
            yield client


def test_the_try_panel_runs_the_entrys_action_against_the_service(client):
    tried = client.post("/api/trainer/try", json={"text": "帮我查下这单到哪了 202611230001"}).json()
    live = tried["live"]
    assert live["lookup"]["outcome"] == "ok" and "已发货，运输中" in live["text"]


def test_a_trainer_edits_an_entrys_template_and_sees_it_again(client):
    entry = client.get("/api/trainer/entries/order_status").json()
    assert entry["action"]["name"] == "order_status"
    fields = {k: v for k, v in entry.items() if k not in ("revision", "updated", "updated_by")}
    fields["action"] = {"name": "order_status", "answer": {"default": "订单{order_number}：{status}", "app": "App：{status}"}}
    saved = client.put("/api/trainer/entries/order_status", json={"entry": fields, "revision": entry["revision"]})
    assert saved.status_code == 200, saved.text
    assert client.get("/api/trainer/entries/order_status").json()["action"]["answer"]["app"] == "App：{status}"


def test_a_malformed_action_is_refused_and_nothing_is_lost(client):
    entry = client.get("/api/trainer/entries/shipping_tracking").json()
    fields = {k: v for k, v in entry.items() if k not in ("revision", "updated", "updated_by")}
    refused = client.put("/api/trainer/entries/shipping_tracking",
                         json={"entry": dict(fields, action={"name": "order_status"}), "revision": entry["revision"]})
    assert refused.status_code == 422 and "needs 'answer'" in refused.text
    assert client.get("/api/trainer/entries/shipping_tracking").json()["action"] == entry["action"]
