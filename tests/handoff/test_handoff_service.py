"""Hand-off through the HTTP API: queue, accept, both-way messages, transfer, close, survey, tickets,
report, metrics and the signed help-desk integration — on SQLite and on the real PostgreSQL. Every
test starts from an empty database, so each passes alone and in any order."""
import http.server
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.config import HandoffConfig, SurveyConfig, WebhookConfig
from bot.http.app import create_app
from bot.store import ConversationStore, surveys, webhook_outbox
from handoff.webhooks import MAX_ATTEMPTS, MAX_BACKOFF_SECONDS, WebhookSender, sign
from tests.conftest import Customer, add_staff, sign_in, wait_until

SECRET = "s3cret-for-tests"
STAFF = (("wang", "agent", ["general"], "小王"), ("li", "agent", ["expert"], "小李"),
         ("boss", "supervisor", ["general"], "主管"))
# Two rules in one group: a VIP asking for a person is served before anyone else who asks.
PRIORITY_RULES = (
    {"name": "vip_request", "when": {"all": [{"request": "default"}, {"attribute": {"name": "vip_level", "at_least": 3}}]},
     "then": {"group": "general", "priority": 6}},
    {"name": "explicit_request", "when": {"request": "default"}, "then": {"group": "general", "priority": 2}},
)


class Inbox:
    """A help desk's webhook endpoint on loopback; ``failing`` requests answer 500 first."""

    def __init__(self):
        self.received, self.failing = [], 0
        inbox = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if inbox.failing > 0:
                    inbox.failing -= 1
                    self.send_response(500)
                else:
                    inbox.received.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def events(self, name=None) -> list:
        return [h["X-Faqbot-Event"] for h, _ in self.received if name in (None, h["X-Faqbot-Event"])]


@pytest.fixture
def inbox():
    inbox = Inbox()
    yield inbox
    inbox.server.shutdown()


@pytest.fixture
def make_app(demo_bot, fresh_store_url, inbox, monkeypatch):
    """A hand-off server on an empty database, its webhooks going to ``inbox``; staff wang, li and boss."""
    monkeypatch.setenv("FAQBOT_WEBHOOK_SECRET", SECRET)

    def make(**handoff):
        config = HandoffConfig(**dict(dict(webhook=WebhookConfig(url=inbox.url)), **handoff))
        app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=config)
        add_staff(app, *STAFF)
        return app

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    with TestClient(app) as c:  # the webhook thread runs as in `faqbot serve`
        yield c


def hand_off(client, customer, agent, text="转人工", **extra) -> int:
    """The customer asks for a person and ``agent`` accepts; the hand-off id."""
    handoff_id = customer.say(text, **extra)["handoff"]["handoff_id"]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=agent).status_code == 200
    return handoff_id


def close_with_survey(client, customer, handoff_id, agent) -> int:
    """``agent`` closes the conversation; the survey the customer is invited to."""
    assert client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=agent).status_code == 200
    return [m for m in customer.history() if m.get("survey")][-1]["survey"]


def test_signing_in(client):
    assert client.post("/api/agent/login", json={"username": "wang", "password": "wrong"}).status_code == 401
    assert client.get("/api/agent/queue").status_code == 401
    assert client.get("/api/agent/queue", headers={"Authorization": "Bearer forged"}).status_code == 401
    headers = sign_in(client, "wang", status="online")
    assert client.get("/api/agent/me", headers=headers).json()["name"] == "小王"
    assert client.get("/api/report", headers=headers).status_code == 403  # agents do not see the report


def test_password_guessing_is_slowed_down(client):
    codes = [client.post("/api/agent/login", json={"username": "mallory", "password": f"guess{n}"}).status_code
             for n in range(12)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    assert sign_in(client, "wang")  # guessing one name does not lock out the others


def test_sign_ins_from_one_address_are_limited_across_usernames(client):
    codes = [client.post("/api/agent/login", json={"username": f"user{n}", "password": "guess"}).status_code
             for n in range(70)]  # ten names guessed seven times each would pass the per-name limit
    assert codes[0] == 401 and codes[-1] == 429
    assert "too many sign-in attempts" in client.post("/api/agent/login", json={"username": "wang",
                                                                                "password": "x"}).json()["detail"]
    first_refused = codes.index(429)
    assert 10 < first_refused <= 60  # a whole office signs in from one address; a guessing script does not


def test_the_whole_hand_off_loop(client, app):
    wang, li = sign_in(client, "wang", status="online"), sign_in(client, "li", status="online")
    loop = Customer(client, "loop")
    reply = loop.say("转人工", customer_id="cust-1", attributes={"vip_level": 2})
    assert reply["decision"] == "handoff" and reply["handoff"]["status"] == "queued"
    handoff_id = reply["handoff"]["handoff_id"]
    queue = client.get("/api/agent/queue", headers=wang).json()
    assert [h["id"] for h in queue["groups"]["general"]] == [handoff_id]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=li).status_code == 403  # not li's group
    assert client.get(f"/api/agent/handoffs/{handoff_id}", headers=li).status_code == 403  # nor is its transcript

    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).json()["status"] == "active"
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).status_code == 409  # once
    relayed = loop.say("我的快递三天没动了")
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
    survey = close_with_survey(client, loop, handoff_id, li)
    history = loop.history()
    assert [m["author"] for m in history if m["sender"] == "agent"] == ["小王"]
    assert loop.say("怎么开发票")["type"] == "bot"  # after close the bot is back
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "other", "csat": 5}).status_code == 404
    assert client.post(f"/api/surveys/{survey}", json={"session_id": "loop", "csat": 5}).status_code == 403  # no token
    assert loop.rate(survey, 6).status_code == 422
    assert loop.rate(survey, 5, comment="很好").json() == {"status": "thanks"}
    assert loop.rate(survey, 1).status_code == 409
    rated = [s for s in app.state.conversations.desk.surveys() if s["id"] == survey][0]
    assert (rated["csat"], rated["group"], rated["rule"], rated["channel"], rated["comment"]) == \
        (5, "expert", "explicit_request", "web", "很好")


def test_the_queue_serves_higher_priority_first_then_longest_waiting(make_app):
    client = TestClient(make_app(rules=PRIORITY_RULES))
    wang = sign_in(client, "wang", status="online")
    first, second = Customer(client, "waits-longest"), Customer(client, "waits-less")
    ids = [c.say("转人工")["handoff"]["handoff_id"] for c in (first, second)]
    vip = Customer(client, "vip").say("转人工", attributes={"vip_level": 3})["handoff"]
    assert vip["handoff_id"] and "前面还有 0 位" in vip["notice"]  # the VIP jumps the queue …
    queue = client.get("/api/agent/queue", headers=wang).json()["groups"]["general"]
    assert [h["id"] for h in queue] == [vip["handoff_id"], *ids]  # … and the others keep their order
    assert client.post(f"/api/agent/handoffs/{ids[1]}/accept", headers=wang).status_code == 200
    assert [h["id"] for h in client.get("/api/agent/queue", headers=wang).json()["groups"]["general"]] == \
        [vip["handoff_id"], ids[0]]


def test_two_agents_accepting_one_conversation_at_once_only_one_gets_it(client, app):
    desk = app.state.conversations.desk
    add_staff(app, ("zhang", "agent", ["general"], "小张"))
    agents = [sign_in(client, name, status="online") for name in ("wang", "zhang")]
    for round_ in range(5):  # a race is lost or won by timing: several rounds
        handoff_id = Customer(client, f"race-{round_}").say("转人工")["handoff"]["handoff_id"]
        start, codes = threading.Barrier(2), []

        def accept(headers):
            start.wait()
            codes.append(client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=headers).status_code)

        threads = [threading.Thread(target=accept, args=(h,)) for h in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(codes) == [200, 409], codes
        owner = desk.handoff(handoff_id)
        assert owner["status"] == "active" and owner["agent_id"] is not None


def test_customer_widget_gets_agent_messages_pushed(client):
    wang = sign_in(client, "wang", status="online")
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
    for user, _, _, _ in STAFF:
        sign_in(client, user, status="away")
    night = Customer(client, "night")
    reply = night.say("转人工")
    assert reply["handoff"]["status"] == "leave_message" and "留言" in reply["text"]
    saved = night.say("请回电 13812345678，订单一直没发货")
    assert saved["type"] == "system" and saved["ticket_id"] > 0
    wang = sign_in(client, "wang", status="online")
    tickets = client.get("/api/agent/queue", headers=wang).json()["tickets"]
    assert [t["text"] for t in tickets if t["id"] == saved["ticket_id"]] == ["请回电 13812345678，订单一直没发货"]
    assert client.post(f"/api/agent/tickets/{saved['ticket_id']}/resolve", headers=wang).json()["status"] == "resolved"
    assert night.say("怎么开发票")["type"] == "bot"


def test_the_report_counts_ratings_participation_and_transfers_and_metrics_agree(client):
    wang, li, boss = (sign_in(client, name, status="online") for name in ("wang", "li", "boss"))
    rated, ignored = Customer(client, "rated"), Customer(client, "ignored")
    first = hand_off(client, rated, wang)
    client.post(f"/api/agent/handoffs/{first}/transfer", json={"group": "expert"}, headers=wang)
    client.post(f"/api/agent/handoffs/{first}/accept", headers=li)
    assert rated.rate(close_with_survey(client, rated, first, li), 5).status_code == 200
    close_with_survey(client, ignored, hand_off(client, ignored, wang), wang)  # never answered
    Customer(client, "bot-only").say("怎么开发票")

    report = client.get("/api/report?since=1d&by=rule", headers=boss).json()
    totals = report["totals"]
    assert (totals["conversations"], totals["surveys_sent"], totals["ratings"]) == (3, 2, 1)
    assert totals["participation_rate"] == 0.5  # the ignored invitation counts against it
    assert totals["csat"] == 1.0 and totals["csat_mean"] == 5
    assert totals["transfer_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert {r["key"] for r in report["rows"]} == {"explicit_request", "(bot)"}
    assert client.get("/api/report?since=yesterday", headers=boss).status_code == 422
    metrics = client.get("/metrics", headers=boss).text
    assert 'faqbot_handoffs_total{group="general",rule="explicit_request",ticket="false"} 2.0' in metrics
    assert 'faqbot_ratings_total{csat="5"} 1.0' in metrics and "faqbot_queue_length" in metrics


def test_the_report_counts_self_service_first_contact_resolution_and_helpful_answers(client):
    boss = sign_in(client, "boss")
    helped, unhelped, came_back = Customer(client, "helped"), Customer(client, "unhelped"), Customer(client, "back-1")
    helped_reply = helped.say("退款多久能到账啊", customer_id="c-helped")
    assert helped_reply["decision"] == "answer"
    client.post("/api/feedback", json={"session_id": "helped", "message_id": helped_reply["message_id"],
                                       "helpful": True}, headers=helped.owned)
    unhelped_reply = unhelped.say("运费怎么算", customer_id="c-unhelped")
    client.post("/api/feedback", json={"session_id": "unhelped", "message_id": unhelped_reply["message_id"],
                                       "helpful": False}, headers=unhelped.owned)
    came_back.say("怎么开发票", customer_id="c-back")
    ended = client.app.state.conversations.store.history("back-1")[-1]["created"]
    wait_until(lambda: time.time() > ended, 5, "the clock past back-1's last message (back-2 starts after it)")
    Customer(client, "back-2").say("发票怎么开", customer_id="c-back")  # same customer again: not resolved first time

    totals = client.get("/api/report?since=1d", headers=boss).json()["totals"]
    assert totals["conversations"] == 4 and totals["transfer_rate"] == 0
    # answered and not rated unhelpful: helped, back-1, back-2 (unhelped was rated 👎)
    assert totals["self_service_rate"] == 0.75
    assert totals["first_contact_resolution"] == 0.75  # back-1 was followed by back-2 within the window
    assert (totals["answers_helpful"], totals["answers_unhelpful"], totals["helpful_rate"]) == (1, 1, 0.5)


def test_a_rating_after_accept_for_hours_is_refused_but_the_invitation_counts(make_app):
    app = make_app(survey=SurveyConfig(accept_for_hours=24))
    client = TestClient(app)
    wang, boss = sign_in(client, "wang", status="online"), sign_in(client, "boss")
    late, prompt = Customer(client, "late"), Customer(client, "prompt")
    late_survey = close_with_survey(client, late, hand_off(client, late, wang), wang)
    prompt_survey = close_with_survey(client, prompt, hand_off(client, prompt, wang), wang)
    with app.state.conversations.store.engine.begin() as conn:  # the late customer's invitation is 25 hours old
        created = conn.execute(select(surveys.c.created).where(surveys.c.id == late_survey)).scalar_one()
        conn.execute(update(surveys).where(surveys.c.id == late_survey).values(created=created - 25 * 3600))
    refused = late.rate(late_survey, 5)
    assert refused.status_code == 409 and "expired" in refused.json()["detail"]
    assert prompt.rate(prompt_survey, 4).status_code == 200  # within the hours: accepted
    totals = client.get("/api/report?since=2d", headers=boss).json()["totals"]
    assert (totals["surveys_sent"], totals["ratings"], totals["participation_rate"]) == (2, 1, 0.5)


def test_webhooks_are_signed_and_delivered(client, app, inbox):
    wang, li = sign_in(client, "wang", status="online"), sign_in(client, "li", status="online")
    customer = Customer(client, "hooked")
    handoff_id = hand_off(client, customer, wang)
    customer.say("我的快递三天没动了")
    client.post(f"/api/agent/handoffs/{handoff_id}/transfer", json={"group": "expert"}, headers=wang)
    client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=li)
    customer.rate(close_with_survey(client, customer, handoff_id, li), 5)
    for user, _, _, _ in STAFF:
        sign_in(client, user, status="away")
    night = Customer(client, "hooked-night")
    night.say("转人工")
    night.say("请回电 13812345678")
    expected = {"handoff.created", "handoff.accepted", "handoff.transferred", "handoff.closed", "message.customer",
                "rating.created", "ticket.created"}
    wait_until(lambda: expected <= set(inbox.events()), 10, f"webhooks {sorted(expected)} delivered")
    events = {}
    for headers, body in inbox.received:
        assert headers["X-Faqbot-Signature"] == sign(SECRET, headers["X-Faqbot-Timestamp"], body, "POST", "/hook")
        events.setdefault(headers["X-Faqbot-Event"], json.loads(body))
    assert events["rating.created"]["csat"] == 5


def test_a_failed_webhook_is_retried_with_growing_back_off_then_delivered(app, inbox, monkeypatch):
    sender = app.state.conversations.webhooks  # the app is not started: no background thread, we drive it
    store = app.state.conversations.store
    sender.emit("test.retry", {"n": 1})
    inbox.failing = 3
    now = [time.time()]
    monkeypatch.setattr("handoff.webhooks.time.time", lambda: now[0])
    waits = []
    for attempt in range(1, 5):
        delivered = sender.deliver_pending()
        with store.engine.connect() as conn:
            row = conn.execute(select(webhook_outbox).where(webhook_outbox.c.event == "test.retry")).one()
        assert row.attempts == attempt
        if attempt <= 3:
            assert delivered == 0 and row.delivered is None and "500" in row.last_error
            waits.append(row.next_attempt - now[0])
            assert sender.deliver_pending() == 0  # not due again before its back-off
            now[0] = row.next_attempt + 1
        else:
            assert delivered == 1 and row.delivered is not None
    assert waits == sorted(waits) and waits[0] > 0 and waits[1] == 2 * waits[0]
    assert inbox.events("test.retry") == ["test.retry"]


def test_a_webhook_is_given_up_after_max_attempts_and_kept_with_its_error(app, inbox, monkeypatch):
    sender = app.state.conversations.webhooks
    store = app.state.conversations.store
    sender.emit("test.give-up", {"n": 1})
    inbox.failing = 10 ** 6
    now = [time.time()]
    monkeypatch.setattr("handoff.webhooks.time.time", lambda: now[0])
    for _ in range(MAX_ATTEMPTS + 3):
        sender.deliver_pending()
        now[0] += MAX_BACKOFF_SECONDS + 1
    with store.engine.connect() as conn:
        row = conn.execute(select(webhook_outbox).where(webhook_outbox.c.event == "test.give-up")).one()
    assert row.attempts == MAX_ATTEMPTS and row.delivered is None and "500" in row.last_error
    assert inbox.events("test.give-up") == []


def test_a_help_desk_answers_through_the_signed_endpoint(client):
    sign_in(client, "wang", status="online")  # someone is on duty: the conversation is queued, not a ticket
    desk_customer = Customer(client, "desk")
    handoff_id = desk_customer.say("转人工")["handoff"]["handoff_id"]
    body = json.dumps({"text": "Zendesk agent here", "author": "Anna"}).encode()
    stamp = str(int(time.time()))
    url = f"/api/integrations/handoffs/{handoff_id}/messages"

    def post(path, content, signature):
        return client.post(path, content=content, headers={"X-Faqbot-Timestamp": stamp, "X-Faqbot-Signature": signature,
                                                           "Content-Type": "application/json"})

    assert post(url, body, "sha256=00").status_code == 401
    other = Customer(client, "desk2").say("转人工")["handoff"]["handoff_id"]
    elsewhere = f"/api/integrations/handoffs/{other}/close"
    close = f"/api/integrations/handoffs/{handoff_id}/close"
    assert post(elsewhere, b"", sign(SECRET, stamp, b"", "POST", close)).status_code == 401  # not replayable
    assert post(url, body, sign(SECRET, stamp, body, "POST", url)).status_code == 200
    assert post(close, b"", sign(SECRET, stamp, b"", "POST", close)).status_code == 200
    history = desk_customer.history()
    assert [m["author"] for m in history if m["sender"] == "agent"] == ["Anna"]
    assert any(m.get("survey") for m in history)


def test_each_webhook_is_delivered_once_however_many_workers_send(app, fresh_store_url, inbox):
    conversations = app.state.conversations  # not started: only the senders below deliver
    for n in range(20):
        conversations.webhooks.emit("test.once", {"n": n})
    workers = [conversations.webhooks] + [WebhookSender(ConversationStore(fresh_store_url), inbox.url, SECRET)
                                          for _ in range(3)]
    start, delivered = threading.Barrier(len(workers)), []

    def deliver(sender):
        start.wait()
        delivered.append(sender.deliver_pending())

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # every sender has returned, so every POST it made has been answered: nothing more can arrive
    numbers = sorted(json.loads(body)["n"] for _, body in inbox.received)
    assert sum(delivered) == 20 and numbers == list(range(20))


def test_nps_is_asked_when_configured_and_counted(make_app):
    client = TestClient(make_app(survey=SurveyConfig(nps=True)))
    boss = sign_in(client, "boss", status="online")
    for n, nps in enumerate((10, 9, 3)):
        customer = Customer(client, f"nps{n}")
        survey = close_with_survey(client, customer, hand_off(client, customer, boss), boss)
        notice = [m for m in customer.history() if m.get("survey")][-1]
        assert notice["nps"] is True
        assert customer.rate(survey, 4, nps=11).status_code == 422
        assert customer.rate(survey, 4, nps=nps).status_code == 200
    report = client.get("/api/report?since=1d&by=group", headers=boss).json()
    assert report["totals"]["nps_responses"] == 3
    general = next(r for r in report["rows"] if r["key"] == "general")
    assert general["nps"] == pytest.approx(100 * (2 - 1) / 3, abs=0.1)  # promoters 10, 9; detractor 3
