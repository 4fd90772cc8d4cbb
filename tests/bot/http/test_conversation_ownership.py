"""Who owns a new conversation is decided once, in the store (issue 24, finding 11): an attacker who
learns a session id and races its first message — from another socket, through another worker — never
becomes a second owner. SQLite and PostgreSQL."""
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore, ConversationTaken
from tests.conftest import at_once

ROUNDS = 8


@pytest.fixture(scope="module")
def workers(demo_bot, store_url):
    """Two servers on one database, as `faqbot serve --workers 2` runs them."""
    clients = [TestClient(create_app(demo_bot, ConversationStore(store_url))) for _ in range(2)]
    yield clients
    for client in clients:
        client.close()


def test_two_first_messages_through_two_workers_make_one_owner(workers):
    for _ in range(ROUNDS):
        session = f"race-http-{uuid.uuid4().hex[:8]}"
        send = lambda client, text: lambda: client.post(  # noqa: E731
            "/api/messages", json={"session_id": session, "text": text})
        answers = at_once(send(workers[0], "怎么退货"), send(workers[1], "运费怎么算"))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 403], [a.text for a in answers]
        owner = next(a for a in answers if a.status_code == 200).json()
        assert "another browser" in next(a for a in answers if a.status_code == 403).json()["detail"]
        history = workers[0].get(f"/api/sessions/{session}/messages",
                                 headers={"X-Session-Token": owner["session_token"]}).json()
        assert [m["sender"] for m in history] == ["customer", "bot"]  # the refused message left nothing


def test_two_sockets_sending_the_first_message_at_once_make_one_owner(workers):
    client = workers[0]
    for _ in range(ROUNDS):
        session = f"race-ws-{uuid.uuid4().hex[:8]}"
        with client.websocket_connect(f"/ws/{session}") as one, client.websocket_connect(f"/ws/{session}") as two:
            def first(socket, text):
                def go():
                    socket.send_json({"text": text})
                    return socket.receive_json()
                return go

            replies = at_once(first(one, "怎么退货"), first(two, "运费怎么算"))
            owners = [r for r in replies if "session_token" in r]
            refused = [r for r in replies if "another browser" in r.get("error", "")]
            assert (len(owners), len(refused)) == (1, 1), replies


def test_the_store_lets_one_of_two_starts_through(store_url):
    """Two store connections (two workers) start the same conversation: the primary key decides."""
    stores = [ConversationStore(store_url) for _ in range(2)]
    session = f"race-store-{uuid.uuid4().hex[:8]}"

    results = at_once(*(lambda store=store: store.receive(session, "web", "你好", starting=True) for store in stores))
    assert sorted(type(r).__name__ for r in results) == ["ConversationTaken", "int"]
    assert len(stores[0].history(session)) == 1
    with pytest.raises(ConversationTaken):  # and later, a start of a known conversation is refused too
        stores[1].receive(session, "web", "我也是", starting=True)
    assert stores[0].receive(session, "web", "继续", starting=False) > 0  # its owner goes on
