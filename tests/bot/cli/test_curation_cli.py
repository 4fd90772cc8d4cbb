"""The trainers' commands as a script would run them: import, add, edit, retire, test set, publish
(and the gate refusing), versions, rollback, audit, export of the draft."""
import json

import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from knowledge_base import load_kb
from tests.conftest import DEMO

runner = CliRunner()


def _run(*args, ok=True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_a_trainer_script_curates_publishes_and_rolls_back(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"curation": {"versions_dir": str(tmp_path / "versions")}}), encoding="utf-8")
    opts = ["--db", str(tmp_path / "f.sqlite3"), "--config", str(config), "--as", "alice"]
    entries = len(load_kb(DEMO / "kb.yml"))
    assert f"{entries} added" in _run("kb", "import", str(DEMO / "kb.yml"), *opts).output
    assert "added 204 test cases" in _run("testset", "import", str(DEMO / "queries.jsonl"), *opts).output
    assert "version 1  (live)" in _run("publish", "--note", "first", *opts).output

    _run("kb", "add", "gift_card", "--question", "礼品卡怎么用", "--answer", "结算页选择礼品卡支付。",
         "--similar", "礼品卡在哪里用", "--similar", "购物卡能抵扣吗", "--category", "支付/礼品卡",
         "--channel-answer", "app=App结算页点「礼品卡」。", *opts)
    _run("kb", "edit", "gift_card", "--add-similar", "礼品卡可以买东西吗", "--set", "valid_to=2030-12-31", *opts)
    shown = json.loads(_run("kb", "show", "gift_card", *opts[:4]).output)
    assert shown["answer"]["app"] == "App结算页点「礼品卡」。" and shown["valid_to"] == "2030-12-31"
    assert shown["similar"][-1] == "礼品卡可以买东西吗" and shown["_revision"] == 2

    duplicate = _run("kb", "add", "x", "--question", "礼品卡怎么用", *opts, ok=False)
    assert duplicate.exit_code == 2 and "also under entry 'gift_card'" in duplicate.output

    published = _run("publish", "--note", "礼品卡", *opts).output
    assert "version 2  (live)" in published
    assert "礼品卡怎么用" in (tmp_path / "versions" / "v0002" / "model" / "kb.jsonl").read_text(encoding="utf-8")

    for entry_id in ("order_cancel", "refund_progress", "shipping_time", "invoice_how"):
        _run("kb", "retire", entry_id, *opts)
    refused = _run("publish", *opts, ok=False)
    assert refused.exit_code == 1 and "accuracy_at_1" in refused.output and "--force --note" in refused.output
    assert "compared with live version 2:" in refused.output  # the diff is printed before the refusal
    flagship = refused.output.split("flagship questions losing their answer:")[1].split("lost answers:")[0]
    assert "怎么开发票  [flagship]: answer invoice_how →" in flagship
    no_note = _run("publish", "--force", *opts, ok=False)
    assert no_note.exit_code == 2 and "needs a note" in no_note.output

    assert "version 1  (live)" in _run("rollback", "1", *opts).output
    listed = _run("versions", *opts[:4]).output.splitlines()
    assert [line.split()[1] for line in listed] == ["2", "1"] and "(live)" in listed[1]
    actions = [line.split()[3] for line in _run("audit", *opts[:4]).output.splitlines()]
    assert actions[:3] == ["rollback", "publish.refused", "entry.update"] and "entry.create" in actions

    out = tmp_path / "draft.xlsx"
    _run("kb", "export", "--out", str(out), "--format", "xlsx", *opts[:4])
    exported = load_kb(out)
    assert exported["gift_card"].answer["app"] == "App结算页点「礼品卡」。"
    assert exported["order_cancel"].status == "retired"
