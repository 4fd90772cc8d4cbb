"""A signed help-desk call is accepted once (issue 24, finding 9): an attacker who captured one — from a
proxy's log, say — and sends it again within the signature's five minutes, to the same worker or
another, gets a clear refusal, and the customer sees the message once. SQLite and PostgreSQL."""
import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore
from handoff.signed_calls import SignedCalls
from handoff.webhooks import MAX_SKEW_SECONDS, sign
from tests.conftest import Customer, add_staff, sign_in

SECRET = "replay-test-secret"


@pytest.fixture
def workers(demo_bot, fresh_store_url, monkeypatch):
    """Two servers on one database, a signed-in agent on duty."""
    monkeypatch.setenv("FAQBOT_WEBHOOK_SECRET", SECRET)
    apps = [create_app(demo_bot, ConversationStore(fresh_store_url)) for _ in range(2)]
    add_staff(apps[0], ("wang", "agent"))
    clients = [TestClient(app) for app in apps]
    sign_in(clients[0], "wang", status="online")
    return clients


def signed_post(client, path: str, body: bytes, stamp: str):
    return client.post(path, content=body, headers={"X-Faqbot-Timestamp": stamp, "Content-Type": "application/json",
                                                    "X-Faqbot-Signature": sign(SECRET, stamp, body, "POST", path)})


def test_a_replayed_desk_message_is_refused_on_every_worker(workers):
    customer = Customer(workers[0], "replayed")
    handoff_id = customer.say("转人工")["handoff"]["handoff_id"]
    path = f"/api/integrations/handoffs/{handoff_id}/messages"
    body, stamp = json.dumps({"text": "您好，我是客服小安", "author": "Anna"}).encode(), str(time.time())
    assert signed_post(workers[0], path, body, stamp).status_code == 200
    for worker in workers:  # the captured call again, to the same worker and to the other
        replay = signed_post(worker, path, body, stamp)
        assert replay.status_code == 409 and "replay" in replay.json()["detail"]
    assert [m["text"] for m in customer.history() if m["sender"] == "agent"] == ["您好，我是客服小安"]
    again = signed_post(workers[1], path, body, str(float(stamp) + 0.5))  # the desk really saying it twice
    assert again.status_code == 200
    assert len([m for m in customer.history() if m["sender"] == "agent"]) == 2


def test_a_replayed_close_is_refused(workers):
    customer = Customer(workers[0], "closed-once")
    handoff_id = customer.say("转人工")["handoff"]["handoff_id"]
    path, stamp = f"/api/integrations/handoffs/{handoff_id}/close", str(int(time.time()))
    assert signed_post(workers[1], path, b"", stamp).status_code == 200
    assert signed_post(workers[0], path, b"", stamp).status_code == 409


def test_remembered_signatures_are_forgotten_once_they_could_not_be_fresh_anyway(fresh_store_url):
    now = [10_000.0]
    calls = SignedCalls(ConversationStore(fresh_store_url), clock=lambda: now[0])
    assert calls.first_time("sha256=aa", str(now[0])) and not calls.first_time("sha256=aa", str(now[0]))
    now[0] += 2 * MAX_SKEW_SECONDS + 1  # by now the signature's timestamp is refused as stale anyway
    calls.first_time("sha256=bb", str(now[0]))
    with calls.engine.connect() as conn:
        kept = [r[0] for r in conn.exec_driver_sql("SELECT signature FROM signed_calls")]
    assert kept == ["sha256=bb"]
