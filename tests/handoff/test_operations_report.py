"""The contact-centre numbers of `faqbot report`, checked against a scenario whose every timestamp the test
sets and whose every metric was computed by hand (on SQLite and PostgreSQL)."""
import json
import time

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from bot.cli.main import app
from bot.store import ConversationStore, agent_status_log, feedback, handoffs, messages, qa_reviews, sessions, surveys
from handoff.desk import AgentDesk

runner = CliRunner()
T0 = float(int(time.time()) - 20_000)
CONFIG = """\
handoff:
  supervision:
    service_level_seconds: {default: 20, complaints: 10}
"""


def _conversation(conn, session, channel="web", at=0.0, group=None):
    """A customer message; the bot's reply hands off to ``group`` (None: answers)."""
    conn.execute(insert(sessions).values(id=session, channel=channel, created=T0 + at, attributes="{}"))
    conn.execute(insert(messages).values(session_id=session, created=T0 + at, sender="customer", text="q"))
    routing = {"group": group, "rule": "asked_for_person"} if group else None
    return conn.execute(insert(messages).values(
        session_id=session, created=T0 + at, sender="bot", text="a", decision="handoff" if group else "answer",
        details=json.dumps({"handoff": routing})).returning(messages.c.id)).scalar_one()


def _handoff(conn, session, group, created, status, agent=None, accepted=None, closed=None, first_reply=None):
    if first_reply is not None:
        conn.execute(insert(messages).values(session_id=session, created=T0 + first_reply, sender="agent", text="您好"))
    return conn.execute(insert(handoffs).values(
        session_id=session, created=T0 + created, group=group, priority=0, rule="asked_for_person", reason="",
        status=status, agent_id=agent, accepted=None if accepted is None else T0 + accepted,
        closed=None if closed is None else T0 + closed, channel="web", packet="{}").returning(handoffs.c.id)).scalar_one()


def _survey(conn, handoff_id, session, agent, group, at, csat=None, nps=None):
    conn.execute(insert(surveys).values(handoff_id=handoff_id, session_id=session, created=T0 + at, agent_id=agent,
                                        group=group, channel="web", rule="asked_for_person", nps_asked=int(nps is not None),
                                        csat=csat, nps=nps, answered=T0 + at + 5 if csat else None))


@pytest.fixture
def scenario(fresh_store_url, write):
    """Four hand-offs and a fifth still waiting, three bot-only conversations, two agents (numbers in the tests)."""
    store = ConversationStore(fresh_store_url)
    desk = AgentDesk(store, ("general", "expert", "complaints"))
    wang = desk.add_agent("wang", "password-1", groups=["general"])
    li = desk.add_agent("li", "password-1", groups=["complaints"])
    qa = desk.add_agent("qa", "password-1", role="qa")
    with store.engine.begin() as conn:
        for session, at, group in (("s1", 0, "general"), ("s2", 100, "general"), ("s3", 200, "general"),
                                   ("s4", 300, "complaints"), ("s8", 4900, "general")):
            _conversation(conn, session, at=at, group=group)
        h1 = _handoff(conn, "s1", "general", 0, "closed", wang, accepted=10, closed=310, first_reply=25)
        h2 = _handoff(conn, "s2", "general", 100, "closed", wang, accepted=130, closed=400, first_reply=140)
        _handoff(conn, "s3", "general", 200, "closed", closed=260)  # the customer left the queue
        h4 = _handoff(conn, "s4", "complaints", 300, "closed", li, accepted=305, closed=905, first_reply=365)
        _handoff(conn, "s8", "general", 4900, "queued")
        _survey(conn, h1, "s1", wang, "general", 310, csat=5)
        _survey(conn, h2, "s2", wang, "general", 400, csat=2, nps=3)
        _survey(conn, h4, "s4", li, "complaints", 905)  # never answered: counts against participation
        for session, channel, resolved in (("s5", "web", "yes"), ("s6", "app", "no"), ("s7", "web", None)):
            answer = _conversation(conn, session, channel, at=500)
            if resolved:
                conn.execute(insert(feedback).values(message_id=answer, created=T0 + 520, kind="resolved",
                                                     value=resolved))
        for agent, status, at in ((wang, "online", 0), (wang, "offline", 1000), (li, "online", 300),
                                  (li, "away", 1300)):
            conn.execute(insert(agent_status_log).values(agent_id=agent, status=status, created=T0 + at))
        for handoff_id, score in ((h1, 80.0), (h2, 60.0)):
            conn.execute(insert(qa_reviews).values(handoff_id=handoff_id, agent_id=wang, reviewer_id=qa,
                                                   created=T0 + 2000, scores="{}", score=score, comment="",
                                                   checks="[]"))
    return fresh_store_url, str(write("config.yml", CONFIG))


def _report(scenario, *args) -> dict:
    db, config = scenario
    result = runner.invoke(app, ["report", "--db", db, "--config", config, "--since", "all", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_contact_centre_numbers_match_the_hand_computed_ones(scenario):
    totals = _report(scenario)["totals"]
    assert totals["conversations"] == 8 and totals["handoffs"] == 5
    # accepted waits 10, 30, 5 s → nearest rank p50 10, p90 30
    assert (totals["wait_p50_s"], totals["wait_p90_s"]) == (10, 30)
    # within target: s1 (10 ≤ 20), s4 (5 ≤ 10 for complaints); missed: s2 (30), s3 abandoned, s8 still waiting
    assert totals["service_level"] == 0.4
    assert totals["abandon_rate"] == 0.25  # 1 of 3 accepted + 1 abandoned
    assert totals["first_response_p50_s"] == 15  # 15, 10, 60
    assert totals["handle_time_p50_s"] == 300  # 300, 270, 600
    assert totals["occupancy"] == 0.495  # (390 busy of wang's 1000 online + 600 of li's 1000) / 2000
    assert (totals["complaints"], totals["complaint_rate_per_1000"], totals["complaint_handle_p50_s"]) == (1, 125.0, 605)
    assert (totals["bot_csat"], totals["bot_csat_responses"]) == (0.5, 2)
    assert (totals["csat"], totals["participation_rate"], totals["nps"]) == (0.5, 0.6667, -100.0)
    assert totals["qa_score"] == 70.0


def test_by_agent_gives_one_row_per_agent(scenario):
    rows = {r["key"]: r for r in _report(scenario, "--by", "agent")["rows"]}
    assert set(rows) == {"wang", "li"}  # not the QA reviewer, not the unaccepted hand-offs
    wang, li = rows["wang"], rows["li"]
    assert (wang["conversations"], wang["csat"], wang["participation_rate"], wang["nps"]) == (2, 0.5, 1.0, -100.0)
    assert (wang["first_response_p50_s"], wang["handle_time_p50_s"], wang["qa_score"], wang["occupancy"]) == \
        (10, 270, 70.0, 0.39)
    assert (li["conversations"], li["csat"], li["participation_rate"], li["nps"]) == (1, None, 0.0, None)
    assert (li["first_response_p50_s"], li["handle_time_p50_s"], li["qa_score"], li["occupancy"]) == (60, 600, None, 0.6)


def test_filters_keep_only_the_matching_conversations(scenario):
    app_only = _report(scenario, "--channel", "app")["totals"]
    assert (app_only["conversations"], app_only["bot_csat"], app_only["handoffs"]) == (1, 0.0, 0)
    general = _report(scenario, "--group", "general")["totals"]
    assert (general["conversations"], general["handoffs"], general["service_level"]) == (4, 4, 0.25)
    assert general["occupancy"] == 0.39  # only the group's agent is counted
    li = _report(scenario, "--agent", "li")["totals"]
    assert (li["conversations"], li["handle_time_p50_s"], li["complaint_rate_per_1000"]) == (1, 600, 1000.0)


def test_table_and_html_name_the_new_metrics(scenario):
    db, config = scenario
    table = runner.invoke(app, ["report", "--db", db, "--config", config, "--since", "all"]).output
    assert "service level" in table and "40.0%" in table and "wait p90" in table
    page = runner.invoke(app, ["report", "--db", db, "--config", config, "--since", "all", "--format", "html",
                               "--by", "agent"]).output
    assert "坐席绩效" in page and "首次响应中位数" in page and "participation_rate" not in page


@pytest.mark.parametrize("setting, complaint", [
    ("service_level_seconds: {vip: 10}", "service_level_seconds: ['vip'] are not skill groups"),
    ("complaint_groups: [complaint]", "complaint_groups: ['complaint'] are not skill groups"),
    ("targets: {csat: 90}", "targets.csat: a share from 0 to 1"),
    ("qa_scorecard: missing.yml", "qa_scorecard"),
])
def test_wrong_supervision_settings_are_refused_with_the_key_named(write, tmp_path, setting, complaint):
    config = write("config.yml", f"handoff:\n  supervision:\n    {setting}\n")
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "r.sqlite3"), "--config", str(config)])
    assert result.exit_code == 2 and complaint in result.output, result.output
