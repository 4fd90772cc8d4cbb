"""Tickets (留言 / 工单) through the HTTP API: contact details, replies the customer sees on return (and a
webhook for SMS/e-mail), reopening, SLA due times and overdue, transfer with a note, survey on close,
per-group access, the audit trail, and first-contact resolution — on SQLite and on the real PostgreSQL."""
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.config import ConfigError, DeskConfig, HandoffConfig, WebhookConfig, load_config
from bot.http.app import create_app
from bot.store import ConversationStore, tickets, webhook_outbox
from tests.conftest import ROOT, Customer, add_staff, sign_in

STAFF = (("wang", "agent", ["general"], "小王"), ("li", "agent", ["expert"], "小李"),
         ("zhou", "agent", ["general"], "小周"), ("boss", "supervisor", ["general"], "主管"))
SLA = DeskConfig(sla_hours=24, sla_by_group=(("complaints", 4.0),), sla_by_category=(("售后", 8.0),))


@pytest.fixture
def app(demo_bot, fresh_store_url):
    """Nobody on duty (every message to a person is left as a ticket); webhooks queued, never sent."""
    config = HandoffConfig(desk=SLA, webhook=WebhookConfig(url="http://127.0.0.1:9/hook"))
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=config)
    add_staff(app, *STAFF)
    return app


@pytest.fixture
def client(app):
    return TestClient(app)


def leave(client, session: str, *texts: str, **extra) -> dict:
    """The customer asks for a person while nobody is on duty and leaves ``texts``; the last reply."""
    customer = Customer(client, session)
    assert customer.say("转人工", **extra)["handoff"]["status"] == "leave_message"
    for text in texts:
        reply = customer.say(text)
    return customer, reply


def outbox(app, event: str) -> list:
    with app.state.conversations.store.engine.connect() as conn:
        rows = conn.execute(select(webhook_outbox.c.payload).where(webhook_outbox.c.event == event)).all()
    return [json.loads(r[0]) for r in rows]


def test_an_anonymous_customer_is_asked_how_to_be_reached_and_nothing_they_wrote_is_lost(client):
    customer, asked = leave(client, "anon", "我的订单一直没发货")
    assert asked.get("needs_contact") and "手机号或邮箱" in asked["text"]
    saved = customer.say("电话 138-1234-5678")
    ticket = client.get(f"/api/agent/tickets/{saved['ticket_id']}", headers=sign_in(client, "wang")).json()
    assert ticket["text"] == "我的订单一直没发货\n电话 138-1234-5678"
    assert ticket["contact"] == ["13812345678"] and ticket["status"] == "new"


def test_a_known_customer_leaves_a_message_without_giving_contact_details(client):
    _, saved = leave(client, "known", "发票开错了", customer_id="c-9")
    assert saved["ticket_id"] > 0


def test_the_agent_replies_the_customer_sees_it_on_return_answers_and_the_ticket_reopens(client, app):
    customer, saved = leave(client, "loop", "请回电 13812345678，快递三天没动")
    ticket_id, wang = saved["ticket_id"], sign_in(client, "wang")
    assert client.post(f"/api/agent/tickets/{ticket_id}/assign", headers=wang).json()["status"] == "assigned"
    reply = client.post(f"/api/agent/tickets/{ticket_id}/reply", json={"text": "已催快递，明天送到"}, headers=wang)
    assert reply.json()["ticket"]["status"] == "waiting"
    returned = Customer(client, "loop")
    returned.token = customer.token  # the same browser, later
    assert [m["text"] for m in returned.history() if m["sender"] == "agent"] == ["已催快递，明天送到"]
    sms = outbox(app, "ticket.reply")
    assert sms[0]["ticket_id"] == ticket_id and sms[0]["contact"] == ["13812345678"]
    answer = returned.say("好的，那能不能改到后天送？")
    assert answer["type"] == "system" and answer["ticket_id"] == ticket_id  # the bot keeps out of it
    reopened = client.get(f"/api/agent/tickets/{ticket_id}", headers=wang).json()
    assert reopened["status"] == "assigned"
    assert reopened["transcript"][-2]["text"] == "好的，那能不能改到后天送？"
    assert [c["action"] for c in reopened["changes"]] == ["ticket.create", "ticket.assign", "ticket.reply",
                                                          "ticket.reopen"]
    assert reopened["changes"][1]["actor"] == "wang"


def test_closing_a_resolved_ticket_asks_the_customer_to_rate_it(client):
    customer, saved = leave(client, "rated", "退款还没到 a@b.com")
    ticket_id, wang = saved["ticket_id"], sign_in(client, "wang")
    client.post(f"/api/agent/tickets/{ticket_id}/reply", json={"text": "已退回"}, headers=wang)
    assert client.post(f"/api/agent/tickets/{ticket_id}/resolve", headers=wang).json()["status"] == "resolved"
    closed = client.post(f"/api/agent/tickets/{ticket_id}/close", headers=wang).json()
    assert closed["status"] == "closed"
    survey = [m for m in customer.history() if m.get("survey")]
    assert [s["survey"] for s in survey] == [closed["survey_id"]]
    assert customer.rate(closed["survey_id"], 5).status_code == 200
    assert customer.say("运费怎么算")["type"] == "bot"  # closed: the bot answers again


def test_due_times_follow_the_sla_of_the_group_and_open_tickets_past_them_are_overdue(client, app):
    _, general = leave(client, "sla-1", "请回电 13812345678")
    wang = sign_in(client, "wang")
    ticket = client.get(f"/api/agent/tickets/{general['ticket_id']}", headers=wang).json()
    assert ticket["due"] - ticket["created"] == pytest.approx(24 * 3600)
    assert not ticket["overdue"]
    tickets_desk = app.state.conversations.tickets
    assert tickets_desk.sla_hours("complaints") == 4 and tickets_desk.sla_hours("general", "售后/维修") == 8
    with app.state.conversations.store.engine.begin() as conn:
        conn.execute(update(tickets).where(tickets.c.id == general["ticket_id"]).values(due=ticket["created"] - 1))
    listed = client.get("/api/agent/tickets", headers=wang).json()
    assert [(t["id"], t["overdue"]) for t in listed] == [(general["ticket_id"], True)]
    client.post(f"/api/agent/tickets/{general['ticket_id']}/resolve", headers=wang)
    resolved = client.get(f"/api/agent/tickets/{general['ticket_id']}", headers=wang).json()
    assert not resolved["overdue"]  # a promise kept late is no longer pending


def test_an_agent_cannot_read_or_change_another_groups_tickets_until_it_is_transferred_to_them(client):
    _, saved = leave(client, "acl", "请回电 13812345678")
    ticket_id = saved["ticket_id"]
    wang, li, boss = (sign_in(client, n) for n in ("wang", "li", "boss"))
    assert client.get(f"/api/agent/tickets/{ticket_id}", headers=li).status_code == 403
    assert client.post(f"/api/agent/tickets/{ticket_id}/reply", json={"text": "x"}, headers=li).status_code == 403
    assert client.post(f"/api/agent/tickets/{ticket_id}/resolve", headers=li).status_code == 403
    assert client.get("/api/agent/tickets", headers=li).json() == []
    assert client.get(f"/api/agent/tickets/{ticket_id}", headers=boss).status_code == 200
    no_note = client.post(f"/api/agent/tickets/{ticket_id}/transfer", json={"group": "expert", "note": " "},
                          headers=wang)
    assert no_note.status_code == 422
    moved = client.post(f"/api/agent/tickets/{ticket_id}/transfer",
                        json={"group": "expert", "note": "要查维修记录"}, headers=wang).json()
    assert (moved["group"], moved["status"], moved["agent_id"]) == ("expert", "new", None)
    seen = client.get(f"/api/agent/tickets/{ticket_id}", headers=li).json()
    assert seen["changes"][-1]["details"]["note"] == "要查维修记录"
    assert client.get(f"/api/agent/tickets/{ticket_id}", headers=wang).status_code == 403


def test_an_agent_takes_only_unassigned_tickets_and_a_supervisor_reassigns(client):
    _, saved = leave(client, "owner", "请回电 13812345678")
    ticket_id = saved["ticket_id"]
    wang, zhou, boss = (sign_in(client, n) for n in ("wang", "zhou", "boss"))
    assert client.post(f"/api/agent/tickets/{ticket_id}/assign", headers=wang).json()["status"] == "assigned"
    assert client.post(f"/api/agent/tickets/{ticket_id}/assign", headers=zhou).status_code == 403
    assert client.post(f"/api/agent/tickets/{ticket_id}/assign", json={"username": "li"},
                       headers=boss).status_code == 409  # li is not in the ticket's group
    moved = client.post(f"/api/agent/tickets/{ticket_id}/assign", json={"username": "zhou"}, headers=boss).json()
    assert moved["agent_id"] == client.get("/api/agent/me", headers=zhou).json()["id"]


def test_first_contact_resolution_counts_a_left_message_only_once_it_is_resolved(client):
    boss, wang = sign_in(client, "boss"), sign_in(client, "wang")
    _, saved = leave(client, "fcr", "请回电 13812345678", customer_id="c-fcr")
    Customer(client, "bot-only").say("怎么开发票", customer_id="c-bot")
    assert client.get("/api/report?since=1d", headers=boss).json()["totals"]["first_contact_resolution"] == 0.5
    client.post(f"/api/agent/tickets/{saved['ticket_id']}/resolve", headers=wang)
    assert client.get("/api/report?since=1d", headers=boss).json()["totals"]["first_contact_resolution"] == 1.0


@pytest.mark.parametrize("key, value, why", [
    ("handoff.desk.sla_by_group", {"nobody": 2}, "not skill groups"),
    ("handoff.desk.sla_by_category", {"退款": "soon"}, "positive number of hours"),
    ("handoff.desk.assignment", "random", "choose one of"),
    ("handoff.desk.max_chats", 0, "outside the allowed range"),
])
def test_a_desk_setting_that_cannot_work_is_refused_when_the_config_is_read(key, value, why):
    with pytest.raises(ConfigError, match=why):
        load_config(ROOT / "config.yml", {key: value})


def test_the_shipped_config_promises_complaints_answers_sooner():
    desk = load_config(ROOT / "config.yml").handoff.desk
    assert dict(desk.sla_by_group)["complaints"] < desk.sla_hours
