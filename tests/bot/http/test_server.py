"""The HTTP API as a widget or a Rasa-built script uses it — on SQLite and on the real PostgreSQL."""
import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore


@pytest.fixture(scope="module")
def client(demo_bot, store_url):
    return TestClient(create_app(demo_bot, ConversationStore(store_url)))


def test_message_gets_a_json_reply_with_the_decision(client):
    r = client.post("/api/messages", json={"session_id": "s1", "text": "退款多久能到账啊"})
    assert r.status_code == 200
    body = r.json()
    assert (body["decision"], body["entry_id"]) == ("answer", "refund_progress")
    assert body["answer"] == body["text"] and body["related"]


def test_rasa_rest_channel_contract_with_buttons_and_custom(client):
    r = client.post("/webhooks/rest/webhook", json={"sender": "u1", "message": "快递"})
    assert r.status_code == 200
    (reply,) = r.json()
    assert reply["recipient_id"] == "u1"
    assert reply["custom"]["decision"] == "clarify" and len(reply["custom"]["options"]) >= 2
    assert [b["payload"] for b in reply["buttons"]] == [f"/select:{o}" for o in reply["custom"]["options"]]
    picked = reply["buttons"][1]
    (answer,) = client.post("/webhooks/rest/webhook", json={"sender": "u1", "message": picked["payload"]}).json()
    assert answer["custom"]["decision"] == "answer" and answer["custom"]["options"] == []
    assert answer["custom"]["entry_id"] == reply["custom"]["options"][1]


def test_one_customers_options_are_not_picked_by_another(client):
    first = client.post("/api/messages", json={"session_id": "a", "text": "快递"}).json()
    other = client.post("/api/messages", json={"session_id": "b", "text": "2"}).json()
    assert first["decision"] == "clarify" and other["entry_id"] != first["options"][1]["id"]


@pytest.mark.parametrize("body", [{}, {"session_id": "", "text": "x"}, {"session_id": "s", "text": "x" * 20000},
                                  {"sender": "u"}])
def test_bad_requests_are_refused_with_422(client, body):
    assert client.post("/api/messages", json=body).status_code == 422


def test_health_and_readiness(client, demo_bot):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["entries"] == len(demo_bot.kb)


def test_openapi_documents_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/messages", "/webhooks/rest/webhook", "/health", "/ready"} <= set(paths)


def test_every_message_and_reply_is_committed_before_the_reply_is_sent(demo_bot, store_url):
    """Read from a second connection at the moment the response starts: not after background tasks."""
    app = create_app(demo_bot, ConversationStore(store_url))
    reader, seen = ConversationStore(store_url), []

    async def probe(scope, receive, send):
        async def spy(event):
            if event["type"] == "http.response.start" and scope["path"] == "/api/messages":
                seen.append(reader.history("log1"))
            await send(event)
        await app(scope, receive, spy)

    r = TestClient(probe).post("/api/messages", json={"session_id": "log1", "text": "运费怎么算"}).json()
    history = seen[0]
    assert [(m["sender"], m["text"]) for m in history] == [("customer", "运费怎么算"), ("bot", r["text"])]
    assert history[1]["id"] == r["message_id"] and history[1]["decision"] == r["decision"]


def test_feedback_and_clarify_clicks_are_kept_as_training_signal(client):
    store = client.app.state.conversations.store
    clarify = client.post("/api/messages", json={"session_id": "fb", "text": "快递"}).json()
    mine = {"X-Session-Token": clarify["session_token"]}
    assert client.post("/api/messages", json={"session_id": "fb", "text": "1"}).status_code == 403  # not its browser
    picked = client.post("/api/messages", json={"session_id": "fb", "text": "1"}, headers=mine).json()
    assert store.feedback(clarify["message_id"]) == [
        {"message_id": clarify["message_id"], "kind": "clarify_choice", "value": clarify["options"][0]["id"]}]
    vote = {"session_id": "fb", "message_id": picked["message_id"], "helpful": False}
    assert client.post("/api/feedback", json=vote).status_code == 403  # only the conversation's own browser votes
    r = client.post("/api/feedback", json=vote, headers={"X-Session-Token": picked["session_token"]})
    assert r.status_code == 200
    assert store.feedback(picked["message_id"])[0]["value"] == "no"


def test_feedback_on_another_sessions_message_is_refused(client):
    other = client.post("/api/messages", json={"session_id": "owner", "text": "运费"}).json()
    r = client.post("/api/feedback", json={"session_id": "intruder", "message_id": other["message_id"], "helpful": True})
    assert r.status_code == 404


def test_a_customer_cannot_read_another_customers_conversation(client):
    mine = client.post("/api/messages", json={"session_id": "private-1", "text": "我的手机号是13812345678，退款没到"}).json()
    path = "/api/sessions/private-1/messages"
    assert client.get(path).status_code == 403
    assert client.get(path, headers={"X-Session-Token": "guessed-" + mine["session_token"][8:]}).status_code == 403
    other = client.post("/api/messages", json={"session_id": "private-2", "text": "你好"}).json()
    assert client.get(path, headers={"X-Session-Token": other["session_token"]}).status_code == 403
    owned = client.get(path, headers={"X-Session-Token": mine["session_token"]})
    assert owned.status_code == 200 and owned.json()[0]["text"].startswith("我的手机号")
    assert client.get("/api/sessions/never-used/messages").json() == []  # nothing there, nothing to protect


def test_a_socket_without_the_token_cannot_continue_or_follow_a_conversation(client):
    started = client.post("/api/messages", json={"session_id": "pushy", "text": "你好"}).json()
    hub = client.app.state.conversations.hub
    with client.websocket_connect("/ws/pushy") as intruder:
        intruder.send_json({"session_token": "wrong"})
        assert "another browser" in intruder.receive_json()["error"]
        intruder.send_json({"text": "运费怎么算"})
        assert "another browser" in intruder.receive_json()["error"]
        assert hub.listeners("session:pushy") == 0
    with client.websocket_connect("/ws/pushy") as owner:
        owner.send_json({"session_token": started["session_token"]})
        owner.send_json({"text": "运费怎么算"})
        assert owner.receive_json()["type"] == "bot"
        assert hub.listeners("session:pushy") == 1
    assert [m["text"] for m in client.app.state.conversations.store.history("pushy") if m["sender"] == "customer"] \
        == ["你好", "运费怎么算"]


def test_websocket_conversation(client):
    with client.websocket_connect("/ws/w1") as ws:
        ws.send_json({"text": "快递"})
        first = ws.receive_json()
        assert first["decision"] == "clarify"
        ws.send_json({"text": "2"})
        assert ws.receive_json()["entry_id"] == first["options"][1]["id"]
        ws.send_json({"oops": 1})
        assert "error" in ws.receive_json()


def test_suggestions_while_typing(client):
    found = client.get("/api/suggest", params={"q": "发票"}).json()
    assert found and all("发票" in s["question"] or s["id"].startswith("invoice") for s in found)
    assert client.get("/api/suggest", params={"q": "退货", "limit": 2}).status_code == 200
    assert len(client.get("/api/suggest", params={"q": "退货", "limit": 2}).json()) <= 2


def test_the_store_survives_a_restart(store_url):
    store = ConversationStore(store_url)
    store.ensure_session("restart", "web")
    store.add_message("restart", "customer", "你好")
    assert ConversationStore(store_url).history("restart")[0]["text"] == "你好"


def test_welcome_card_puts_context_first_then_what_customers_ask(demo_bot, store_url):
    fresh = TestClient(create_app(demo_bot, ConversationStore(store_url)))
    for n in range(12):  # more than any other question this module asks
        fresh.post("/api/messages", json={"session_id": f"pop{n}", "text": "积分怎么用"})
    card = fresh.get("/api/welcome").json()
    assert card["text"].startswith("您好") and card["questions"][0]["id"] == "member_points"
    shipped = fresh.get("/api/welcome", params={"categories": "物流"}).json()["questions"]
    assert all(demo_bot.kb[q["id"]].category.startswith("物流") for q in shipped)
    assert not any(demo_bot.kb[q["id"]].handoff or demo_bot.kb[q["id"]].category.startswith("闲聊")
                   for q in card["questions"])


def test_rate_limits_per_session_and_per_address_answer_429(demo_bot):
    from bot.config import ServerConfig

    limited = TestClient(create_app(demo_bot, settings=ServerConfig(messages_per_minute_per_session=2,
                                                                    messages_per_minute_per_address=5)))
    first = limited.post("/api/messages", json={"session_id": "r", "text": "运费"})
    mine = {"X-Session-Token": first.json()["session_token"]}
    codes = [first.status_code] + [limited.post("/api/messages", json={"session_id": "r", "text": "运费"},
                                                headers=mine).status_code for _ in range(2)]
    assert codes == [200, 200, 429]
    assert "太频繁" in limited.post("/api/messages", json={"session_id": "r", "text": "运费"},
                                  headers=mine).json()["detail"]
    other = limited.post("/api/messages", json={"session_id": "r2", "text": "运费"})
    assert other.status_code == 200  # a new session is fine until the address's own budget is spent
    assert limited.post("/api/messages", json={"session_id": "r3", "text": "运费"}).status_code == 429


def test_cors_lets_the_widget_call_from_another_site(client):
    r = client.options("/api/messages", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "https://shop.example")


def test_rate_limiter_window_slides():
    from bot.service.rate_limit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert [limiter.allow("k") for _ in range(3)] == [True, True, False]
    now[0] = 61
    assert limiter.allow("k")


def test_logs_never_hold_the_customers_phone_number(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="faqbot.conversations"):
        client.post("/api/messages", json={"session_id": "pii", "text": "我的手机13812345678收不到验证码"})
    assert "decision=" in caplog.text and "13812345678" not in caplog.text and "138****5678" in caplog.text


def test_migrations_run_once_and_record_the_schema_version(store_url):
    from sqlalchemy import func, select

    from bot.store.schema import MIGRATIONS, schema_version

    first, second = ConversationStore(store_url), ConversationStore(store_url)
    assert first.schema_version == second.schema_version == len(MIGRATIONS)
    with second.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema_version)).scalar_one() == len(MIGRATIONS)


def test_customer_attributes_steer_the_welcome_card(demo_bot):
    from bot.config import ServerConfig

    settings = ServerConfig(welcome_context=(("recent_order", ("物流",)),))
    app = TestClient(create_app(demo_bot, settings=settings))
    card = app.get("/api/welcome", params={"attributes": '{"recent_order": "202611230001"}'}).json()["questions"]
    assert all(demo_bot.kb[q["id"]].category.startswith("物流") for q in card)
    plain = app.get("/api/welcome", params={"attributes": '{"vip": 3}'}).json()["questions"]
    assert not all(demo_bot.kb[q["id"]].category.startswith("物流") for q in plain)
    assert app.get("/api/welcome", params={"attributes": "[1"}).status_code == 422


@pytest.mark.parametrize("body, stored", [({"session_id": "nul", "text": "退款\x00多久到账"}, "退款多久到账"),
                                          ({"session_id": "ch", "text": "运费", "channel": "w" * 32}, "运费")])
def test_awkward_but_valid_input_is_stored_on_every_database(client, body, stored):
    reply = client.post("/api/messages", json=body)
    assert reply.status_code == 200
    history = client.app.state.conversations.store.history(body["session_id"])
    assert [m["text"].replace("\x00", "") for m in history if m["sender"] == "customer"] == [stored]
    assert "\x00" not in history[0]["text"] or client.app.state.conversations.store.engine.dialect.name == "sqlite"
    assert history[-1]["id"] == reply.json()["message_id"]
    if "channel" in body:
        assert client.app.state.conversations.store.session(body["session_id"])["channel"] == body["channel"]


def test_hostile_feedback_ids_and_websocket_frames_are_refused_cleanly(client):
    assert client.post("/api/feedback", json={"session_id": "x", "message_id": 10**30, "helpful": True}).status_code == 422
    with client.websocket_connect("/ws/frames") as ws:
        ws.send_text("not json")
        assert "error" in ws.receive_json()
        ws.send_json({"text": "运费", "channel": "c" * 500})
        assert ws.receive_json()["decision"] in ("answer", "clarify", "fallback", "handoff")
    assert client.post("/api/messages", json={"session_id": "big", "text": "9" * 5000}).status_code == 200


def test_suggestions_are_rate_limited_per_address(demo_bot):
    from bot.config import ServerConfig

    limited = TestClient(create_app(demo_bot, settings=ServerConfig(messages_per_minute_per_address=1)))
    codes = [limited.get("/api/suggest", params={"q": "发票"}).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_feedback_is_rate_limited_per_session_and_per_address(demo_bot):
    from bot.config import ServerConfig

    limited = TestClient(create_app(demo_bot, settings=ServerConfig(messages_per_minute_per_session=3,
                                                                    messages_per_minute_per_address=1000)))
    reply = limited.post("/api/messages", json={"session_id": "votes", "text": "运费怎么算"}).json()
    vote = {"session_id": "votes", "message_id": reply["message_id"], "helpful": True}
    mine = {"X-Session-Token": reply["session_token"]}
    codes = [limited.post("/api/feedback", json=vote, headers=mine).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # the message used one of the session's three
    store = limited.app.state.conversations.store
    assert len(store.feedback(reply["message_id"])) == 2  # a refused vote is not stored
    by_address = TestClient(create_app(demo_bot, settings=ServerConfig(messages_per_minute_per_address=2)))
    first = by_address.post("/api/messages", json={"session_id": "a1", "text": "运费怎么算"}).json()
    vote = {"session_id": "a1", "message_id": first["message_id"], "helpful": False}
    codes = [by_address.post("/api/feedback", json=vote, headers={"X-Session-Token": first["session_token"]}).status_code
             for _ in range(2)]
    assert codes == [200, 429]


def test_pages_carry_a_content_security_policy_and_every_response_nosniff(client):
    page = client.get("/trainer")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    api = client.get("/health")
    assert api.headers["x-content-type-options"] == "nosniff" and "content-security-policy" not in api.headers
