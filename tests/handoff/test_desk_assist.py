"""The workspace's helpers through the HTTP API: KB search and the bot's candidates with the channel's
answer, canned replies with variables (curated by trainers), the customer's history and internal notes,
and the wrap-up with its knowledge suggestion — on SQLite and on the real PostgreSQL."""
import pytest
from fastapi.testclient import TestClient

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.conftest import Customer, add_staff, sign_in
from training.suggestions import Suggestions

STAFF = (("wang", "agent", ["general"], "小王"), ("li", "agent", ["expert"], "小李"), ("tina", "trainer", ["general"]))


@pytest.fixture
def client(demo_bot, fresh_store_url):
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig())
    add_staff(app, *STAFF)
    return TestClient(app)


def accepted(client, session: str, *before: str, **extra):
    """The customer says ``before``, asks for a person, wang accepts: (customer, hand-off id, wang's headers)."""
    wang = sign_in(client, "wang", status="online")
    customer = Customer(client, session)
    for text in before:
        customer.say(text, **extra)
    handoff_id = customer.say("转人工", **extra)["handoff"]["handoff_id"]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=wang).status_code == 200
    return customer, handoff_id, wang


def test_search_and_candidates_use_the_bots_retrieval_and_the_channels_answer(client):
    customer, handoff_id, wang = accepted(client, "cand")
    customer.say("退货运费谁出")
    found = client.get(f"/api/agent/handoffs/{handoff_id}/candidates", headers=wang).json()
    assert found["text"] == "退货运费谁出"
    bot = client.app.state.conversations.bot
    expected = bot.entry_ids(bot.understand("退货运费谁出"))[0]
    assert found["candidates"][0]["id"] == expected and found["candidates"][0]["answer"]
    searched = client.get("/api/agent/assist/search", params={"q": "怎么开发票"}, headers=wang).json()
    assert "发票" in searched[0]["question"] and searched[0]["answer"]
    li = sign_in(client, "li")
    assert client.get(f"/api/agent/handoffs/{handoff_id}/candidates", headers=li).status_code == 403


def test_trainers_curate_canned_replies_that_agents_get_with_the_customers_values(client):
    tina = sign_in(client, "tina")
    saved = client.post("/api/canned", json={"group": "general", "title": "问候",
                                             "text": "{customer_name}您好，我是{agent_name}，订单{order_id}已为您查询。"},
                        headers=tina)
    assert saved.status_code == 200
    assert client.post("/api/canned", json={"group": "general", "title": "x", "text": "{phone}"},
                       headers=tina).status_code == 422
    client.post("/api/canned", json={"group": "expert", "title": "维修", "text": "请提供维修单号"}, headers=tina)
    customer, handoff_id, wang = accepted(client, "canned", attributes={"customer_name": "张三"})
    assert client.post("/api/canned", json={"group": "general", "title": "x", "text": "y"},
                       headers=wang).status_code == 403  # agents use them; trainers write them
    replies = client.get(f"/api/agent/handoffs/{handoff_id}/canned", headers=wang).json()
    assert [r["filled"] for r in replies] == ["张三您好，我是小王，订单{order_id}已为您查询。"]  # no order id: left to fill


def test_the_customers_earlier_conversations_tickets_ratings_and_notes_that_the_customer_never_sees(client):
    earlier = Customer(client, "ctx-old")
    earlier.say("怎么开发票", customer_id="c-77", channel="app")
    customer, handoff_id, wang = accepted(client, "ctx-new", "运费怎么算", customer_id="c-77")
    note = client.post(f"/api/agent/handoffs/{handoff_id}/notes", json={"text": "老客户，上次发票开错过"}, headers=wang)
    assert note.status_code == 200
    context = client.get(f"/api/agent/handoffs/{handoff_id}/customer", headers=wang).json()
    assert [(c["id"], c["channel"], c["first"]) for c in context["conversations"]] == [("ctx-old", "app", "怎么开发票")]
    assert [n["text"] for n in context["notes"]] == ["老客户，上次发票开错过"]
    assert all("发票开错过" not in m["text"] for m in customer.history())


def test_wrap_up_records_the_suggested_contact_reason_and_saves_a_knowledge_suggestion(client):
    customer, handoff_id, wang = accepted(client, "wrap", "退货运费谁出")
    client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "质量问题退货运费由我们承担"}, headers=wang)
    form = client.get(f"/api/agent/handoffs/{handoff_id}/wrapup", headers=wang).json()
    assert form["suggested"] == "退货" and form["question"] == "退货运费谁出"
    assert form["answer"] == "质量问题退货运费由我们承担"
    body = {"reason": form["suggested"], "resolved": True, "note": "已解释",
            "suggestion": {"question": form["question"], "answer": form["answer"]}}
    assert client.post(f"/api/agent/handoffs/{handoff_id}/wrapup", json=body, headers=wang).status_code == 422  # open
    client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang)
    assert client.post(f"/api/agent/handoffs/{handoff_id}/wrapup", json=dict(body, reason="天气"),
                       headers=wang).status_code == 422
    done = client.post(f"/api/agent/handoffs/{handoff_id}/wrapup", json=body, headers=wang).json()
    assert done["reason"] == "退货" and done["resolved"] is True
    assert client.post(f"/api/agent/handoffs/{handoff_id}/wrapup", json=body, headers=wang).status_code == 409
    [suggestion] = Suggestions(client.app.state.conversations.store).list()
    assert suggestion["kind"] == "agent" and suggestion["questions"] == ["退货运费谁出"]
    assert suggestion["answer"] == "质量问题退货运费由我们承担" and "小王" in suggestion["reason"]


def test_forgetting_a_customer_removes_the_notes_and_wrap_up_about_them(client):
    customer, handoff_id, wang = accepted(client, "forgotten", "运费怎么算", customer_id="c-gone")
    client.post(f"/api/agent/handoffs/{handoff_id}/notes", json={"text": "客户手机 13812345678"}, headers=wang)
    client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=wang)
    client.post(f"/api/agent/handoffs/{handoff_id}/wrapup", json={"reason": "物流", "resolved": True, "note": "已答"},
                headers=wang)
    deleted = client.app.state.conversations.store.forget(customer_id="c-gone")
    assert (deleted["desk_notes"], deleted["wrapups"]) == (1, 1)
