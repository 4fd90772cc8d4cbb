"""The faqbot command as a user types it."""
import json

from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()


def test_train_then_ask_prints_the_decision_as_json(tmp_path, mini_kb):
    result = runner.invoke(app, ["train", "--kb", str(mini_kb), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ask", "退款多久能到", "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output)
    assert reply["decision"] == "answer" and reply["entry_id"] == "refund"
    assert reply["candidates"][0]["id"] == "refund" and reply["latency_ms"] > 0
    explained = runner.invoke(app, ["ask", "退款多久能到", "--model", str(tmp_path / "m"), "--why"])
    assert json.loads(explained.stdout) == {**reply, "latency_ms": json.loads(explained.stdout)["latency_ms"]}
    assert explained.stderr.startswith("answer (refund), because:\n  - ") and reply["reasons"][0] in explained.stderr


def test_eval_writes_every_contract_key(tmp_path, mini_kb, write):
    queries = write("q.jsonl", "\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"text": "退款啥时候到", "expected_id": "refund"}, {"text": "运费收多少", "expected_id": "fee"},
        {"text": "积分可以抵现吗", "expected_id": "points"}, {"text": "帮我写首诗", "expected_id": None}]))
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", "--kb", str(mini_kb), "--queries", str(queries), "--out", str(out),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    for key in ["n_queries", "n_oos", "train_seconds", "accuracy_at_1", "mrr_at_5", "recall_at_5",
                "answered_correct", "clarify_rate", "clarify_hit", "self_service_rate", "wrong_answer_rate",
                "oos_precision", "oos_recall", "latency_ms_p50", "latency_ms_p95"]:
        assert key in report, key
    assert report["n_queries"] == 4 and report["n_oos"] == 1


def test_tune_writes_thresholds_into_the_model(tmp_path, mini_kb, write):
    assert runner.invoke(app, ["train", "--kb", str(mini_kb), "--out", str(tmp_path / "m")]).exit_code == 0
    queries = write("dev.jsonl", "\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"text": "退款啥时候到", "expected_id": "refund"}, {"text": "运费收多少", "expected_id": "fee"},
        {"text": "我想退掉这个东西", "expected_id": "return"}, {"text": "写首诗", "expected_id": None}]))
    result = runner.invoke(app, ["tune", "--queries", str(queries), "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    tuned = json.loads(result.output[result.output.index("{"):])
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["thresholds"]["answer"] == tuned["answer"]
    assert runner.invoke(app, ["ask", "运费", "--model", str(tmp_path / "m")]).exit_code == 0


def test_kb_check_reports_problems_and_exits_non_zero(write):
    bad = write("kb.jsonl", '{"id": "a", "question": ""}\n')
    result = runner.invoke(app, ["kb", "check", str(bad)])
    assert result.exit_code == 1 and f"{bad}:1: question" in result.output


def test_eval_with_unknown_expected_id_fails_clearly(tmp_path, mini_kb, write):
    queries = write("q.jsonl", '{"text": "x", "expected_id": "nope"}\n')
    result = runner.invoke(app, ["eval", "--kb", str(mini_kb), "--queries", str(queries), "--out",
                                 str(tmp_path / "r.json"), "--no-progress"])
    assert result.exit_code == 2 and "q.jsonl:1: expected_id" in result.output


def test_kb_export_to_rasa(tmp_path, mini_kb):
    out = tmp_path / "nlu.yml"
    result = runner.invoke(app, ["kb", "export", str(mini_kb), "--format", "rasa", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "- intent: faq/refund" in out.read_text(encoding="utf-8")
