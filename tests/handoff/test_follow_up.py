"""Follow-up on unhappy customers: a low CSAT or NPS makes exactly one call-back task, due within the
configured hours; `faqbot digest` lists the day's comments (masked) and the open call-backs."""
import json
import time
from datetime import datetime, timezone

from sqlalchemy import insert
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import SupervisionConfig
from bot.store import ConversationStore, handoffs, sessions, surveys
from handoff.follow_up import FollowUps

runner = CliRunner()


def _rated(store, session, csat, nps=None, comment=""):
    now = time.time()
    with store.transaction() as conn:
        conn.execute(insert(sessions).values(id=session, channel="web", created=now, attributes="{}"))
        handoff = conn.execute(insert(handoffs).values(
            session_id=session, created=now, group="general", priority=0, rule="r", reason="", status="closed",
            channel="web", packet="{}").returning(handoffs.c.id)).scalar_one()
        return conn.execute(insert(surveys).values(
            handoff_id=handoff, session_id=session, created=now, group="general", channel="web", rule="r",
            nps_asked=int(nps is not None), csat=csat, nps=nps, comment=comment, answered=now)
            .returning(surveys.c.id)).scalar_one()


def test_low_ratings_make_one_call_back_each_and_good_ones_none(fresh_store_url):
    store = ConversationStore(fresh_store_url)
    follow_ups = FollowUps(store, SupervisionConfig(callback_due_hours=2.0))
    angry, happy, detractor = (_rated(store, "angry", 1, comment="太慢了"), _rated(store, "happy", 5, nps=9),
                               _rated(store, "detractor", 4, nps=5))
    first = follow_ups.after_rating(angry)
    assert first is not None and follow_ups.after_rating(angry) == first  # a repeated call makes no second task
    assert follow_ups.after_rating(happy) is None
    follow_ups.after_rating(detractor)
    tasks = follow_ups.tasks()
    assert [(t["session_id"], t["reason"]) for t in tasks] == [("angry", "CSAT 1"), ("detractor", "NPS 5")]
    assert all(abs(t["due"] - t["created"] - 7200) < 1 for t in tasks)
    follow_ups.record(first, "已致电道歉并补偿", {"id": None})
    assert [t["session_id"] for t in follow_ups.tasks()] == ["detractor"]
    assert follow_ups.tasks("done")[0]["outcome"] == "已致电道歉并补偿"


def test_the_daily_digest_lists_comments_lowest_first_and_masks_phone_numbers(fresh_store_url):
    store = ConversationStore(fresh_store_url)
    FollowUps(store).after_rating(_rated(store, "low", 2, comment="没解决，打我电话13812345678"))
    _rated(store, "high", 5, comment="很专业")
    day = datetime.now(timezone.utc).date().isoformat()
    out = runner.invoke(app, ["digest", "--db", fresh_store_url, "--day", day, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [c["csat"] for c in data["comments"]] == [2, 5] and data["unhappy"] == 1
    assert "13812345678" not in out.output and len(data["callbacks"]) == 1
    table = runner.invoke(app, ["digest", "--db", fresh_store_url, "--day", day]).output
    assert "2 ratings, 1 unhappy, 2 comments" in table and "open call-backs: 1" in table
    assert runner.invoke(app, ["digest", "--db", fresh_store_url, "--day", "yesterday"]).exit_code == 2
