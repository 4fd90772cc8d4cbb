"""The agents' socket (/ws/agent) as an attacker would use it: any staff token, a trainer's or another
group's, must not hear what a waiting customer types (phone, ID-card and bank-card numbers), and a
socket stops hearing anything once its token is signed out or expires — on SQLite and PostgreSQL."""
import json
import time

import httpx
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore, agent_tokens
from tests.browser import serving
from tests.conftest import Customer, add_staff, sign_in

SECRET = "我的手机号13812345678，身份证110101199003071234，卡号6222021234567890123"


@pytest.fixture
def server(demo_bot, fresh_store_url):
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig())
    add_staff(app, ("gen", "agent", ["general"]), ("exp", "agent", ["expert"]), ("tr", "trainer", ["general"]),
              ("boss", "supervisor", ["expert"]))
    with serving(app) as url:
        yield url, app


def _socket(url: str, headers: dict, ready: bool = True):
    """A /ws/agent socket signed in with ``headers``' token (its ``ready`` frame read)."""
    ws = connect(url.replace("http", "ws") + "/ws/agent", legacy=True)
    ws.send(json.dumps({"token": headers["Authorization"].split()[1]}))
    if ready:
        assert json.loads(ws.recv(10))["type"] == "ready"
    return ws


def _heard(ws, seconds: float) -> list:
    """Every event the socket receives within ``seconds``."""
    events, deadline = [], time.time() + seconds
    while time.time() < deadline:
        try:
            events.append(json.loads(ws.recv(max(0.05, deadline - time.time()))))
        except TimeoutError:
            break
    return events


def _close_code(ws, seconds: float) -> int:
    """The code the server closes ``ws`` with within ``seconds`` (events before it are skipped)."""
    deadline = time.time() + seconds
    with pytest.raises(ConnectionClosed) as closed:
        while time.time() < deadline:
            ws.recv(max(0.05, deadline - time.time()))
    return closed.value.rcvd.code


def test_a_waiting_customers_words_reach_only_their_groups_agents_and_supervisors(server):
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as client:
        trainer_ws = _socket(url, sign_in(client, "tr"), ready=False)
        assert _close_code(trainer_ws, 5) == 4403  # a trainer's token opens no desk socket
        gen, exp, boss = (_socket(url, sign_in(client, name, status="online")) for name in ("gen", "exp", "boss"))
        customer = Customer(client, "leaky")
        assert customer.say("转人工")["handoff"]["status"] == "queued"
        assert customer.say(SECRET)["type"] == "relayed"
        heard = {name: [e for e in _heard(ws, 2) if e.get("type") == "customer"]
                 for name, ws in (("gen", gen), ("exp", exp), ("boss", boss))}
    assert [e["text"] for e in heard["gen"]] == [SECRET]
    assert [e["text"] for e in heard["boss"]] == [SECRET]
    assert heard["exp"] == []  # another group's agent hears nothing of it
    for ws in (gen, exp, boss):
        ws.close()


def test_signing_out_closes_the_socket_and_it_hears_nothing_more(server):
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as client:
        headers = sign_in(client, "gen", status="online")
        ws = _socket(url, headers)
        assert client.post("/api/agent/logout", headers=headers).status_code == 200
        assert _close_code(ws, 5) == 4401
        customer = Customer(client, "after-logout")
        customer.say("转人工")
        with pytest.raises(ConnectionClosed):
            ws.recv(1)


def test_a_socket_closes_when_its_token_expires(server):
    url, app = server
    with httpx.Client(base_url=url, timeout=30) as client:
        headers = sign_in(client, "gen", status="online")
    with app.state.conversations.store.engine.begin() as conn:  # the token's 12 hours are nearly over
        conn.execute(update(agent_tokens).values(expires=time.time() + 1.5))
    ws = _socket(url, headers)
    started = time.time()
    assert _close_code(ws, 10) == 4401
    assert time.time() - started < 5
