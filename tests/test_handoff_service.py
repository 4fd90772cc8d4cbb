"""Hand-off through the HTTP API: queue, accept, both-way messages, transfer, close, survey, tickets,
report, metrics and the signed help-desk integration — on SQLite and on the real PostgreSQL."""
import http.server
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from bot.config import HandoffConfig, WebhookConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from handoff.webhooks import sign

SECRET = "s3cret-for-tests"


class Inbox(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Inbox.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def inbox():
    server = http.server.HTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


@pytest.fixture(scope="module")
def app(demo_bot, store_url, inbox, monkeypatch_module):
    monkeypatch_module.setenv("FAQBOT_WEBHOOK_SECRET", SECRET)
    handoff = HandoffConfig(webhook=WebhookConfig(url=inbox))
    app = create_app(demo_bot, ConversationStore(store_url), handoff=handoff)
    desk = app.state.conversations.desk
    desk.add_agent("wang", "password-1", "小王", "agent", ["general"])
    desk.add_agent("li", "password-2", "小李", "agent", ["expert"])
    desk.add_agent("boss", "password-3", "主管", "supervisor", ["general"])
    return app


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def sign_in(client, username, password, status="online"):
    token = client.post("/api/agent/login", json={"username": username, "password": password}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/agent/status", json={"status": status}, headers=headers)
    return headers


TOKENS = {}  # session → its token, kept from the replies as the widget keeps it


def say(client, session, text, **extra):
    headers = owned(session) if session in TOKENS else {}
    reply = client.post("/api/messages", json=dict(session_id=session, text=text, **extra), headers=headers).json()
    TOKENS[session] = reply["session_token"]
    return reply


def owned(session):
    return {"X-Session-Token": TOKENS[session]}


def test_signing_in(client):
    assert client.post("/api/agent/login", json={"username": "wang", "password": "wrong"}).status_code == 401
    assert client.get("/api/agent/queue").status_code == 401
    assert client.get("/api/agent/queue", headers={"Authorization": "Bearer forged"}).status_code == 401
    headers = sign_in(client, "wang", "password-1")
    assert client.get("/api/agent/me", headers=headers).json()["name"] == "小王"
    assert client.get("/api/report", headers=headers).status_code == 403  # agents do not see the report


def test_password_guessing_is_slowed_down(client):
    codes = [client.post("/api/agent/login", json={"username": "mallory", "password": f"guess{n}"}).status_code
             for n in range(12)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


def test_the_whole_hand_off_loop(client, app):
    wang, li = sign_in(client, "wang", "password-1"), sign_in(client, "li", "password-2")
    reply = say(client, "loop", "转人工", customer_id="cust-1", attributes={"vip_level": 2})
    assert reply["decision"] == "handoff" and reply["handoff"]["status"] == "queued"
    handoff_id = reply["handoff"]["handoff_id"]
    queue = client.get("/api/agent/queue", headers=wang).json()
    assert [h["id"] for h in queue["groups"]["general"]] == [handoff_id]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=li).status_code == 403  # not li's group
    assert client.get(f"/api/agent/handoffs/{handoff_id}", headers=li).status_code == 403  # nor is its transcript

    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).json()["status"] == "active"
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).status_code == 409  # once
    relayed = say(client, "loop", "我的快递三天没动了")
    assert relayed["type"] == "relayed"  # the bot stays silent while a person owns the conversation
    client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "您好，我来帮您查"}, headers=wang)

    packet = client.get(f"/api/agent/handoffs/{handoff_id}", headers=wang).json()
    assert (packet["rule"], packet["channel"], packet["attributes"]) == ("explicit_request", "web", {"vip_level": 2})
    senders = [m["sender"] for m in packet["transcript"]]
    assert senders[:2] == ["customer", "bot"] and "agent" in senders
    assert packet["transcript"][1]["candidates"] and len(packet["emotion"]) == 2

    # transfer to the expert group, li takes it and closes it
    assert client.post(f"/api/agent/handoffs/{handoff_id}/transfer", json={"group": "expert"},
                       headers=wang).json()["group"] == "expert"
    client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=li)
    assert client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "x"}, headers=wang).status_code == 403
    closed = client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=li).json()
    assert closed["status"] == "closed"

    history = client.get("/api/sessions/loop/messages", headers=owned("loop")).json()
    survey = [m for m in history if m.get("survey")][-1]["survey"]
    assert [m["author"] for m in history if m["sender"] == "agent"] == ["小王"]
    assert say(client, "loop", "怎么开发票")["type"] == "bot"  # after close the bot is back
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "other", "csat": 5}).status_code == 404
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "loop", "csat": 5}).status_code == 403  # no token
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "loop", "csat": 6},
                       headers=owned("loop")).status_code == 422
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "loop", "csat": 5, "comment": "很好"},
                       headers=owned("loop")).json() == {"status": "thanks"}
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "loop", "csat": 1},
                       headers=owned("loop")).status_code == 409
    rated = [s for s in app.state.conversations.desk.surveys() if s["id"] == survey][0]
    assert (rated["csat"], rated["group"], rated["rule"], rated["channel"], rated["comment"]) == \
        (5, "expert", "explicit_request", "web", "很好")


def test_customer_widget_gets_agent_messages_pushed(client):
    wang = sign_in(client, "wang", "password-1")
    with client.websocket_connect("/ws/push") as ws:
        ws.send_text(json.dumps({"text": "人工客服"}))
        reply = ws.receive_json()
        assert reply["decision"] == "handoff" and "前面还有 0 位" in reply["handoff"]["notice"]
        handoff_id = reply["handoff"]["handoff_id"]
        client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang)
        assert "小王" in ws.receive_json()["text"]
        client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "在的，请讲"}, headers=wang)
        pushed = ws.receive_json()
        assert (pushed["type"], pushed["text"], pushed["author"]) == ("agent", "在的，请讲", "小王")
        client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang)
        assert ws.receive_json()["type"] == "system"
        survey = ws.receive_json()
        assert survey["type"] == "survey" and survey["survey"] > 0


def test_nobody_online_the_customer_leaves_a_message(client):
    for user, password in (("wang", "password-1"), ("li", "password-2"), ("boss", "password-3")):
        sign_in(client, user, password, status="away")
    reply = say(client, "night", "转人工")
    assert reply["handoff"]["status"] == "leave_message" and "留言" in reply["text"]
    saved = say(client, "night", "请回电 13812345678，订单一直没发货")
    assert saved["type"] == "system" and saved["ticket_id"] > 0
    wang = sign_in(client, "wang", "password-1")
    tickets = client.get("/api/agent/queue", headers=wang).json()["tickets"]
    assert [t["text"] for t in tickets if t["id"] == saved["ticket_id"]] == ["请回电 13812345678，订单一直没发货"]
    assert client.post(f"/api/agent/tickets/{saved['ticket_id']}/resolve", headers=wang).json()["status"] == "done"
    assert say(client, "night", "怎么开发票")["type"] == "bot"


def test_report_and_metrics(client):
    boss = sign_in(client, "boss", "password-3")
    report = client.get("/api/report?since=1d&by=rule", headers=boss).json()
    totals = report["totals"]
    assert totals["surveys_sent"] >= 2 and totals["ratings"] == 1
    assert totals["participation_rate"] == pytest.approx(1 / totals["surveys_sent"])
    assert totals["csat"] == 1.0 and totals["transfer_rate"] > 0
    assert "explicit_request" in [r["key"] for r in report["rows"]]
    assert client.get("/api/report?since=yesterday", headers=boss).status_code == 422
    metrics = client.get("/metrics").text
    assert 'faqbot_handoffs_total{group="general",rule="explicit_request",ticket="false"}' in metrics
    assert 'faqbot_ratings_total{csat="5"} 1.0' in metrics and "faqbot_queue_length" in metrics


def test_webhooks_are_signed_and_delivered(client, app):
    app.state.conversations.webhooks.deliver_pending()
    events = {}
    for headers, body in Inbox.received:
        assert headers["X-Faqbot-Signature"] == sign(SECRET, headers["X-Faqbot-Timestamp"], body, "POST", "/hook")
        events.setdefault(headers["X-Faqbot-Event"], json.loads(body))
    assert {"handoff.created", "handoff.accepted", "handoff.transferred", "handoff.closed", "message.customer",
            "rating.created", "ticket.created"} <= set(events)
    assert events["rating.created"]["csat"] == 5


def test_a_help_desk_answers_through_the_signed_endpoint(client):
    reply = say(client, "desk", "转人工")
    handoff_id = reply["handoff"]["handoff_id"]
    body = json.dumps({"text": "Zendesk agent here", "author": "Anna"}).encode()
    stamp = str(int(time.time()))
    url = f"/api/integrations/handoffs/{handoff_id}/messages"

    def post(path, content, signature):
        return client.post(path, content=content, headers={"X-Faqbot-Timestamp": stamp, "X-Faqbot-Signature": signature,
                                                           "Content-Type": "application/json"})

    assert post(url, body, "sha256=00").status_code == 401
    other = say(client, "desk2", "转人工")["handoff"]["handoff_id"]
    elsewhere = f"/api/integrations/handoffs/{other}/close"
    close = f"/api/integrations/handoffs/{handoff_id}/close"
    assert post(elsewhere, b"", sign(SECRET, stamp, b"", "POST", close)).status_code == 401  # not replayable
    assert post(url, body, sign(SECRET, stamp, body, "POST", url)).status_code == 200
    assert post(close, b"", sign(SECRET, stamp, b"", "POST", close)).status_code == 200
    history = client.get("/api/sessions/desk/messages", headers=owned("desk")).json()
    assert [m["author"] for m in history if m["sender"] == "agent"] == ["Anna"]
    assert any(m.get("survey") for m in history)


def test_each_webhook_is_delivered_once_however_many_workers_send(app, store_url):
    from handoff.webhooks import WebhookSender

    conversations = app.state.conversations
    Inbox.received.clear()
    conversations.webhooks.emit("test.once", {"n": 1})
    other_worker = WebhookSender(ConversationStore(store_url), conversations.webhooks.url, SECRET)
    delivered = other_worker.deliver_pending() + conversations.webhooks.deliver_pending()  # the app's thread too
    for _ in range(50):
        if any(h["X-Faqbot-Event"] == "test.once" for h, _ in Inbox.received):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    assert delivered <= 1 and [h["X-Faqbot-Event"] for h, _ in Inbox.received].count("test.once") == 1


def test_nps_is_asked_when_configured_and_counted(demo_bot, store_url):
    from bot.config import SurveyConfig

    app = create_app(demo_bot, ConversationStore(store_url), handoff=HandoffConfig(survey=SurveyConfig(nps=True)))
    client = TestClient(app)
    app.state.conversations.desk.add_agent("zhao", "password-9", "小赵", "supervisor", ["general"])
    zhao = sign_in(client, "zhao", "password-9")
    scores = []
    for n, nps in enumerate((10, 9, 3)):
        handoff_id = say(client, f"nps{n}", "转人工")["handoff"]["handoff_id"]
        client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=zhao)
        client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=zhao)
        mine = owned(f"nps{n}")
        notice = [m for m in client.get(f"/api/sessions/nps{n}/messages", headers=mine).json() if m.get("survey")][-1]
        assert notice["nps"] is True
        assert client.post(f"/api/surveys/{notice['survey']}", json={"session_id": f"nps{n}", "csat": 4,
                                                                     "nps": 11}, headers=mine).status_code == 422
        client.post(f"/api/surveys/{notice['survey']}", json={"session_id": f"nps{n}", "csat": 4, "nps": nps},
                    headers=mine)
        scores.append(nps)
    report = client.get("/api/report?since=1d&by=group", headers=zhao).json()
    mine = [s for s in app.state.conversations.desk.surveys() if s["session_id"].startswith("nps")]
    assert [s["nps"] for s in mine] == scores
    assert report["totals"]["nps_responses"] >= 3 and report["totals"]["nps"] is not None
    general = next(r for r in report["rows"] if r["key"] == "general")
    assert general["nps"] == pytest.approx(100 * (2 - 1) / 3, abs=0.1)  # promoters 10, 9; detractor 3
