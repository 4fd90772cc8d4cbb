"""The HTTP API as a widget or a Rasa-built script uses it."""
import pytest
from fastapi.testclient import TestClient

from bot.server import create_app


@pytest.fixture(scope="module")
def client(demo_bot):
    return TestClient(create_app(demo_bot))


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
    assert answer["custom"] == {"decision": "answer", "entry_id": reply["custom"]["options"][1], "options": []}


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
