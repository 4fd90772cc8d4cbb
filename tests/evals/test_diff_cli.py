"""``faqbot diff --model A --model B --queries Q``: per question, what changed between two trained bots."""
import json
import re

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.conftest import MINI_KB

runner = CliRunner()
QUERIES = [{"text": "我要退货", "expected_id": "return"}, {"text": "东西不想要了怎么退", "expected_id": "return"},
           {"text": "运费多少", "expected_id": "fee"}, {"text": "密码忘了", "expected_id": "password"},
           {"text": "帮我写首诗", "expected_id": None}]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A: the mini shop; B: the same without its return entry (a harmful edit)."""
    folder = tmp_path_factory.mktemp("diff")
    (folder / "a.yml").write_text(MINI_KB, encoding="utf-8")
    (folder / "b.yml").write_text("\n".join(l for l in MINI_KB.splitlines() if "id: return" not in l), encoding="utf-8")
    (folder / "q.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES), encoding="utf-8")
    for name in ("a", "b"):
        result = runner.invoke(app, ["train", "--kb", str(folder / f"{name}.yml"), "--out", str(folder / name)])
        assert result.exit_code == 0, result.output
    return folder


def diff(folder, *args):
    return runner.invoke(app, ["diff", "--model", str(folder / "a"), "--model", str(folder / "b"),
                               "--queries", str(folder / "q.jsonl"), *args])


def test_diff_lists_the_questions_whose_answer_was_lost(models):
    result = diff(models, "--out", str(models / "diff.jsonl"))

    assert result.exit_code == 0, result.output
    assert re.search(r"^lost answers +2 \(40\.0%\)$", result.output, re.M), result.output
    changed = [line for line in result.output.splitlines() if line.startswith("  我要退货")]
    assert changed and "answer return →" in changed[0] and "broken" in changed[0] and "lost answer" in changed[0]
    assert not any(line.startswith("  密码忘了") for line in result.output.splitlines())  # unchanged: not listed
    rows = [json.loads(line) for line in (models / "diff.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == [q["text"] for q in QUERIES]
    by_text = {r["text"]: r for r in rows}
    assert by_text["我要退货"]["before"] == {"decision": "answer", "entry": "return", "options": []}
    assert by_text["我要退货"]["lost_answer"] and by_text["我要退货"]["effect"] == "broken"
    assert by_text["密码忘了"]["change"] == "unchanged" and not by_text["密码忘了"]["lost_answer"]


def test_diff_fails_a_ci_gate_on_lost_answers(models):
    result = diff(models, "--fail-over", "lost_answers=0")

    assert result.exit_code == 1
    assert "lost_answers = 2 is above the gate 0" in result.output


def test_a_bot_against_itself_changes_nothing(models):
    result = runner.invoke(app, ["diff", "--model", str(models / "a"), "--model", str(models / "a"),
                                 "--queries", str(models / "q.jsonl"), "--fail-over", "changed=0"])

    assert result.exit_code == 0, result.output
    assert "changed questions" not in result.output


@pytest.mark.parametrize("args, message", [(["--fail-over", "accuracy=0.1"], "METRIC one of"),
                                           (["--fail-over", "lost_answers=x"], "is not a number")])
def test_bad_gate_specs_are_refused_before_anything_runs(models, args, message):
    result = diff(models, *args)
    assert result.exit_code == 2 and message in result.output


def test_diff_needs_two_models(models):
    result = runner.invoke(app, ["diff", "--model", str(models / "a"), "--queries", str(models / "q.jsonl")])
    assert result.exit_code == 2 and "exactly two" in result.output
