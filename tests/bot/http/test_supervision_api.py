"""Supervisors stepping in, call-backs to unhappy customers, quality inspection and bot CSAT, through the
HTTP API as the console, the dashboard and the QA page use it — on SQLite and PostgreSQL."""
import io
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from bot.config import HandoffConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from tests.browser import serving
from tests.bot.http.test_staff_events import _heard, _socket
from tests.conftest import Customer, add_staff, sign_in, started_workbench, wait_until, workbench_app

ANGRY = "你们这是什么破服务，气死我了，骗子！！！"


@pytest.fixture
def server(demo_bot, fresh_store_url):
    app = create_app(demo_bot, ConversationStore(fresh_store_url), handoff=HandoffConfig())
    add_staff(app, ("gen", "agent", ["general"], "小王"), ("other", "agent", ["general"], "小李"),
              ("boss", "supervisor", ["general"], "主管"), ("qa", "qa", ["general"], "质检员"))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield url, client


def _accepted(client, session: str) -> tuple:
    """A customer handed to agent gen, who accepted: (customer, gen's headers, hand-off id)."""
    gen = sign_in(client, "gen", status="online")
    customer = Customer(client, session)
    handoff_id = customer.say("转人工")["handoff"]["handoff_id"]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept", headers=gen).status_code == 200
    return customer, gen, handoff_id


def test_a_supervisor_whispers_takes_over_and_reassigns(server):
    url, client = server
    customer, gen, handoff_id = _accepted(client, "watched")
    boss = sign_in(client, "boss")
    gen_socket = _socket(url, gen)
    said = client.post(f"/api/supervisor/handoffs/{handoff_id}/whisper", json={"text": "先安抚客户情绪"}, headers=boss)
    assert said.status_code == 200, said.text
    assert [e["text"] for e in _heard(gen_socket, 2) if e["type"] == "whisper"] == ["先安抚客户情绪"]
    assert all("安抚" not in m["text"] for m in customer.history())  # never shown to the customer
    live = client.get("/api/supervisor/live", headers=boss).json()
    row = next(r for r in live["conversations"] if r["handoff_id"] == handoff_id)
    assert (row["state"], row["agent"], row["rule"]) == ("active", "小王", "explicit_request")

    assert client.post(f"/api/supervisor/handoffs/{handoff_id}/take-over", headers=boss).status_code == 200
    assert any(e["type"] == "taken_over" for e in _heard(gen_socket, 2))
    assert client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "我是主管，我来处理"},
                       headers=boss).status_code == 200
    assert client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "x"}, headers=gen).status_code == 403
    texts = [m["text"] for m in customer.history()]
    assert "客服 主管 为您服务。" in texts and "我是主管，我来处理" in texts

    other = next(s for s in live["staff"] if s["name"] == "小李")
    assert client.post(f"/api/supervisor/handoffs/{handoff_id}/reassign", json={"agent_id": other["id"]},
                       headers=boss).status_code == 200
    assert client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "您好"},
                       headers=sign_in(client, "other")).status_code == 200
    assert client.post(f"/api/supervisor/handoffs/{handoff_id}/whisper", json={"text": "x"},
                       headers=gen).status_code == 403  # agents cannot use the console
    gen_socket.close()


def test_an_angry_message_in_a_bot_conversation_raises_an_alert(server):
    _, client = server
    boss = sign_in(client, "boss")
    Customer(client, "calm").say("运费怎么算")
    Customer(client, "angry").say(ANGRY)
    alerts = client.get("/api/supervisor/live", headers=boss).json()["alerts"]
    assert [a["kind"] for a in alerts if a["session_id"] == "angry"][:1] == ["emotion"]
    assert not [a for a in alerts if a["session_id"] == "calm"]


def test_an_unhappy_rating_becomes_a_call_back_and_the_comment_reaches_the_digest(server):
    _, client = server
    customer, gen, handoff_id = _accepted(client, "unhappy")
    survey = client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=gen).json()["survey_id"]
    assert customer.rate(survey, 1, comment="等了很久也没解决，电话13812345678").status_code == 200
    boss = sign_in(client, "boss")
    tasks = client.get("/api/supervisor/callbacks", headers=boss).json()
    assert [(t["session_id"], t["reason"], t["csat"]) for t in tasks] == [("unhappy", "CSAT 1", 1)]
    assert 0 < tasks[0]["due"] - tasks[0]["created"] <= 4 * 3600
    assert client.post(f"/api/supervisor/callbacks/{tasks[0]['id']}", json={"outcome": "已回电，补发优惠券"},
                       headers=boss).status_code == 200
    assert client.get("/api/supervisor/callbacks", headers=boss).json() == []
    day = __import__("datetime").datetime.utcnow().date().isoformat()
    digest = client.get("/api/supervisor/digest", params={"day": day}, headers=boss).json()
    assert digest["unhappy"] == 1 and "13812345678" not in json.dumps(digest, ensure_ascii=False)
    assert "等了很久也没解决" in digest["comments"][0]["comment"]


def test_a_qa_reviewer_scores_a_sampled_conversation_the_agent_sees_it_and_appeals(server):
    _, client = server
    customer, gen, handoff_id = _accepted(client, "inspected")
    client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "这个我不知道"}, headers=gen)
    survey = client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=gen).json()["survey_id"]
    customer.rate(survey, 2)
    qa = sign_in(client, "qa")
    sampled = client.get("/api/qa/sample", headers=qa).json()
    assert [(s["id"], s["reasons"]) for s in sampled] == [(handoff_id, ["低满意度"])]
    inspected = client.get(f"/api/qa/handoffs/{handoff_id}", headers=qa).json()
    assert [f["detail"] for f in inspected["findings"] if f["check"] == "forbidden_words"] == ["不知道"]
    scores = {i["key"]: i["max"] // 2 for i in inspected["scorecard"]}
    bad = client.post(f"/api/qa/handoffs/{handoff_id}/review", json={"scores": dict(scores, greeting=99)}, headers=qa)
    assert bad.status_code == 422 and "greeting" in bad.text
    review = client.post(f"/api/qa/handoffs/{handoff_id}/review", json={"scores": scores, "comment": "需改进"},
                         headers=qa).json()
    assert review["score"] == 50.0
    mine = client.get("/api/qa/reviews", headers=gen).json()
    assert [(r["id"], r["score"], r["comment"]) for r in mine] == [(review["id"], 50.0, "需改进")]
    assert client.get("/api/qa/reviews", headers=sign_in(client, "other")).json() == []
    assert client.post(f"/api/qa/reviews/{review['id']}/appeal", json={"text": "客户问题超出范围"},
                       headers=gen).status_code == 200
    assert client.post(f"/api/qa/reviews/{review['id']}/appeal-decision", json={"decision": "upheld", "score": 70},
                       headers=qa).status_code == 200
    assert client.get("/api/qa/reviews", headers=gen).json()[0]["appeal_status"] == "upheld"
    assert client.get("/api/qa/sample", headers=qa).json() == []  # reviewed: out of the queue
    made = client.post(f"/api/qa/reviews/{review['id']}/suggestion", json={"question": "超出范围的问题怎么办"},
                       headers=qa)
    assert made.status_code == 200 and made.json()["suggestion_id"] > 0
    boss_report = client.get("/api/supervisor/report", params={"by": "agent"}, headers=sign_in(client, "boss")).json()
    assert {r["key"]: r["qa_score"] for r in boss_report["rows"]}["gen"] == 70.0


def test_bot_csat_counts_the_answers_to_was_your_problem_solved(server):
    _, client = server
    for session, solved in (("bot-a", True), ("bot-b", False), ("bot-c", True)):
        customer = Customer(client, session)
        answer = customer.say("运费怎么算")
        assert client.post("/api/feedback", json={"session_id": session, "message_id": answer["message_id"],
                                                  "helpful": solved, "kind": "resolved"},
                           headers=customer.owned).status_code == 200
    report = client.get("/api/supervisor/report", headers=sign_in(client, "boss")).json()
    assert (report["totals"]["bot_csat"], report["totals"]["bot_csat_responses"]) == (0.6667, 3)
    assert report["labels"]["bot_csat"] == "机器人满意度(问题已解决)"
    assert {t["metric"] for t in report["targets"]} >= {"csat", "service_level", "participation_rate"}


def test_every_table_exports_to_excel(server):
    _, client = server
    boss = sign_in(client, "boss")
    made = client.post("/api/supervisor/export.xlsx", headers=boss,
                       json={"title": "坐席", "header": ["坐席", "满意度"], "rows": [["小王", "0.9"], ["=cmd", None]]})
    assert made.status_code == 200
    sheet = load_workbook(io.BytesIO(made.content)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["坐席", "满意度"], ["小王", 0.9], ["'=cmd", None]]
    assert client.post("/api/supervisor/export.xlsx", headers=sign_in(client, "gen"),
                       json={"header": [], "rows": []}).status_code == 403


def test_live_console_data_is_for_supervisors_only(server):
    _, client = server
    assert client.get("/api/supervisor/live").status_code == 401
    assert client.get("/api/supervisor/live", headers=sign_in(client, "gen")).status_code == 403
    assert client.get("/api/supervisor/live", headers=sign_in(client, "qa")).status_code == 403
    wait_until(lambda: client.get("/api/supervisor/live", headers=sign_in(client, "boss")).status_code == 200, 5,
               "the console's data for a supervisor")


def test_a_customer_who_stops_waiting_is_counted_as_abandoned_and_the_bot_is_back(server):
    _, client = server
    sign_in(client, "gen", status="online")
    customer = Customer(client, "impatient")
    handoff_id = customer.say("转人工")["handoff"]["handoff_id"]
    left = client.post("/api/sessions/impatient/leave-queue", headers=customer.owned)
    assert left.status_code == 200 and left.json()["text"] == "已为您取消排队，机器人继续为您服务。"
    assert client.post("/api/sessions/impatient/leave-queue", headers=customer.owned).status_code == 409
    assert client.post("/api/sessions/impatient/leave-queue").status_code in (401, 403)  # not the customer's browser
    assert client.post(f"/api/agent/handoffs/{handoff_id}/accept",
                       headers=sign_in(client, "gen")).status_code == 409  # nobody waits any more
    assert customer.say("运费怎么算")["type"] == "bot"
    totals = client.get("/api/supervisor/report", headers=sign_in(client, "boss")).json()["totals"]
    assert (totals["handoffs"], totals["abandon_rate"], totals["service_level"]) == (1, 1.0, 0.0)


def test_a_qa_finding_reaches_the_trainers_suggestions(tmp_path):
    bench, bot = started_workbench(str(tmp_path / "w.sqlite3"), tmp_path)
    client = TestClient(workbench_app(bench, bot, ("gen", "agent"), ("qa", "qa"), ("tr", "trainer")))
    customer, gen, handoff_id = _accepted(client, "finding")
    client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=gen)
    qa = sign_in(client, "qa")
    scores = {i["key"]: i["max"] for i in client.get("/api/qa/me", headers=qa).json()["scorecard"]}
    review = client.post(f"/api/qa/handoffs/{handoff_id}/review", json={"scores": scores}, headers=qa).json()
    assert review["score"] == 100.0
    client.post(f"/api/qa/reviews/{review['id']}/suggestion", headers=qa,
                json={"question": "以旧换新怎么算价", "answer": "按旧机评估价抵扣。"})
    found = [s for s in client.get("/api/trainer/suggestions", headers=sign_in(client, "tr")).json() if s["kind"] == "qa"]
    assert [(s["questions"], s["answer"], s["action"]) for s in found] == [(["以旧换新怎么算价"], "按旧机评估价抵扣。", "new_entry")]
    assert found[0]["reason"].startswith("质检发现")
