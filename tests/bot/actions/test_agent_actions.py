"""Agents look orders up from the workspace and start refunds within their role's limit, on SQLite and
PostgreSQL; every refund (and every refused one) is in the audit log."""
from __future__ import annotations

import httpx
import pytest

from bot.config import load_config
from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base.environment import Environment
from tests.browser import serving
from tests.conftest import ROOT, add_staff, free_port, sign_in
from training.audit import entries


@pytest.fixture(scope="module")
def desk(demo_bot, store_url):
    """(a client of the demo server with its in-process order service, the store)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/demo/orders/{{order_number}}"
    config = load_config(ROOT / "config.yml", {"actions.calls.order_status.url": base,
                                               "actions.calls.refund.url": base + "/refund"})
    store = ConversationStore(store_url)
    app = create_app(demo_bot, store, config.server, config.handoff, actions=config.actions,
                     environment=Environment(ROOT / ".cache" / "test", actions_secret="desk-secret"))
    add_staff(app, ("xiaowang", "agent"), ("laoli", "supervisor"), ("tina", "trainer"))
    with serving(app, port) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, store


def test_an_agent_sees_the_lookups_and_the_refund_with_their_limit(desk):
    client, _ = desk
    listed = {a["name"]: a for a in client.get("/api/agent/actions", headers=sign_in(client, "xiaowang")).json()}
    assert listed["order_status"]["inputs"] == ["order_number"] and listed["refund"]["limit"] == 200


def test_an_agent_looks_an_order_up_as_the_bot_does(desk):
    client, _ = desk
    found = client.post("/api/agent/actions/order_status", json={"inputs": {"order_number": "202611230002"}},
                        headers=sign_in(client, "xiaowang")).json()
    assert (found["outcome"], found["result"]["status"]) == ("ok", "待发货（仓库拣货中）")


def test_a_refund_within_the_roles_limit_runs_and_is_audited(desk):
    client, store = desk
    done = client.post("/api/agent/actions/refund", json={"inputs": {"order_number": "202611230001", "amount": "150"}},
                       headers=sign_in(client, "xiaowang"))
    assert done.status_code == 200 and done.json()["result"]["status"].startswith("退款已受理")
    [audited] = [e for e in entries(store, target="action:refund") if e["action"] == "action.refund"
                 and e["actor"] == "xiaowang"]
    assert audited["details"]["inputs"] == {"order_number": "202611230001", "amount": "150"}


def test_a_refund_over_the_roles_limit_is_refused_and_audited_but_a_supervisor_may(desk):
    client, store = desk
    over = {"inputs": {"order_number": "202611230001", "amount": "250"}}
    refused = client.post("/api/agent/actions/refund", json=over, headers=sign_in(client, "xiaowang"))
    assert refused.status_code == 403 and "超过角色 agent 的上限 200" in refused.json()["detail"]
    assert any(e["action"] == "action.refused.refund" and e["actor"] == "xiaowang"
               for e in entries(store, target="action:refund"))
    assert client.post("/api/agent/actions/refund", json=over, headers=sign_in(client, "laoli")).json()["outcome"] == "ok"


def test_trainers_run_no_actions_from_the_workspace(desk):
    client, _ = desk
    assert client.post("/api/agent/actions/order_status", json={"inputs": {"order_number": "202611230002"}},
                       headers=sign_in(client, "tina")).status_code == 403
