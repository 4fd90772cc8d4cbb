"""The hand-off commands as a team lead types them: explain a conversation, manage agents, read
the outcome report, replay labelled dialogues."""
import json

from typer.testing import CliRunner

from bot.cli.main import app
from bot.store import ConversationStore
from handoff.desk import AgentDesk
from tests.conftest import ROOT

runner = CliRunner()


def test_explain_shows_which_rule_fired_and_why(write):
    transcript = write("t.yml", "id: t1\nturns:\n  - 运费怎么算\n  - 我要投诉你们的快递员\n")
    result = runner.invoke(app, ["handoff", "explain", "--transcript", str(transcript)])
    assert result.exit_code == 0, result.output
    first, second = result.output.split("  2. 客户:")
    assert "HAND-OFF" not in first and "· complaint_or_legal: no sensitive words" in first
    assert "⇒ HAND-OFF by rule complaint_or_legal: sensitive words: '投诉'" in second
    assert "queue complaints (priority 5)" in second


def test_explain_refuses_a_broken_transcript_with_its_place(write):
    bad = write("t.jsonl", '{"turns": [{"role": "customer", "text": "hi"}]}\nnot json\n')
    result = runner.invoke(app, ["handoff", "explain", "--transcript", str(bad)])
    assert result.exit_code == 2 and "t.jsonl:2: not valid JSON" in result.output


def test_agents_are_created_with_a_hashed_password(tmp_path):
    db = str(tmp_path / "f.sqlite3")
    result = runner.invoke(app, ["agent", "add", "wang", "--groups", "general,expert", "--max-chats", "5", "--db", db],
                           input="pass-word-1\npass-word-1\n")
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["agent", "add", "li", "--groups", "sales", "--db", db],
                         input="pass-word-2\npass-word-2\n").exit_code == 2  # no such skill group
    listed = runner.invoke(app, ["agent", "list", "--db", db]).output
    assert [line.split()[0] for line in listed.splitlines()] == ["wang"] and "general,expert" in listed
    desk = AgentDesk(ConversationStore(db))
    assert desk.login("wang", "pass-word-1") and desk.login("wang", "wrong") is None
    assert desk.limit_of(desk.agents()[0]) == 5  # serves five at once, whatever the team's default
    with desk.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM agents").scalar_one()
    assert stored.startswith("scrypt$") and "pass-word-1" not in stored


def test_report_in_three_formats(tmp_path, demo_bot):
    db = str(tmp_path / "f.sqlite3")
    from fastapi.testclient import TestClient

    from bot.http.app import create_app

    client = TestClient(create_app(demo_bot, ConversationStore(db)))
    client.post("/api/messages", json={"session_id": "a", "text": "运费怎么算", "channel": "app"})
    client.post("/api/messages", json={"session_id": "b", "text": "转人工"})
    table = runner.invoke(app, ["report", "--db", db, "--by", "channel"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[1].split()[:2] == ["channel", "conversations"] and lines[2].split()[:2] == ["total", "2"]
    data = json.loads(runner.invoke(app, ["report", "--db", db, "--format", "json", "--by", "channel"]).output)
    assert data["totals"]["transfer_rate"] == 0.5
    assert {r["key"]: r["transfer_rate"] for r in data["rows"]} == {"app": 0.0, "web": 1.0}
    out = tmp_path / "r.html"
    assert runner.invoke(app, ["report", "--db", db, "--format", "html", "--out", str(out)]).exit_code == 0
    assert "<table>" in out.read_text(encoding="utf-8")
    assert runner.invoke(app, ["report", "--db", db, "--since", "last tuesday"]).exit_code == 2


def test_eval_dialogues_on_the_labelled_demo_conversations(tmp_path):
    out = tmp_path / "d.json"
    result = runner.invoke(app, ["eval-dialogues", str(ROOT / "evals" / "dialogues" / "demo_dialogues.yml"),
                                 "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["conversations"] == 21 and report["turns_with_handoff_label"] == report["turns"]
    assert report["handoff_recall"] >= 0.8 and report["handoff_precision"] >= 0.8
    assert report["turn_accuracy"] >= 0.7 and report["false_handoffs"] == len(report["false_handoff_examples"])


def test_eval_dialogues_gate_fails_the_build(tmp_path):
    dialogues = str(ROOT / "evals" / "dialogues" / "demo_dialogues.yml")
    result = runner.invoke(app, ["eval-dialogues", dialogues, "--no-progress", "--fail-over", "false_handoffs=-1"])
    assert result.exit_code == 1 and "false_handoffs" in result.output and "above the gate -1" in result.output
    result = runner.invoke(app, ["eval-dialogues", dialogues, "--no-progress", "--fail-under", "recall=0.9"])
    assert result.exit_code == 2 and "METRIC=VALUE" in result.output
