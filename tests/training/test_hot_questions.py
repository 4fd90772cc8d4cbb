"""热点问题 / 未知问题 as the dashboard shows them: the most-answered entries first with their daily trend and
helpful rate, and the questions the bot could not answer counted per day — on SQLite and PostgreSQL."""
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore
from tests.conftest import Customer
from training.hot_questions import hot_questions


def test_most_asked_entries_come_first_with_their_trend_and_the_unanswered_are_counted(demo_bot, fresh_store_url):
    store = ConversationStore(fresh_store_url)
    client = TestClient(create_app(demo_bot, store))
    freight = [Customer(client, f"fee-{n}").say("运费怎么算") for n in range(3)]
    Customer(client, "invoice").say("怎么开发票")
    unknown = Customer(client, "unknown").say("火星上的天气怎么样")
    assert client.post("/api/feedback", json={"session_id": "fee-0", "message_id": freight[0]["message_id"],
                                              "helpful": True}, headers={"X-Session-Token": freight[0]["session_token"]}).status_code == 200
    hot = hot_questions(store, demo_bot.kb, days=7)
    assert len(hot["days"]) == 7 and len(hot["unanswered"]) == 7
    top = hot["entries"][0]
    assert (top["entry_id"], top["hits"], top["helpful_rate"]) == (freight[0]["entry_id"], 3, 1.0)
    assert top["trend"] == [0, 0, 0, 0, 0, 0, 3]  # all asked today
    assert [e["hits"] for e in hot["entries"]] == sorted((e["hits"] for e in hot["entries"]), reverse=True)
    today = hot["unanswered"][-1]
    assert today["replies"] == 5 and today[unknown["decision"]] >= 1 and unknown["decision"] in ("fallback", "clarify")
