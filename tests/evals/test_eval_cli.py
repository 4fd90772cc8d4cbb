"""``faqbot eval`` as an evaluator runs it: HTML report, cross-validation, comparison, regression gate."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.browser import ARTEFACTS
from tests.conftest import MINI_KB, ROOT

runner = CliRunner()
CONTRACT = ["n_queries", "n_oos", "train_seconds", "accuracy_at_1", "mrr_at_5", "recall_at_5", "answered_correct",
            "clarify_rate", "clarify_hit", "self_service_rate", "wrong_answer_rate", "oos_precision", "oos_recall",
            "latency_ms_p50", "latency_ms_p95", "thresholds", "kb", "queries", "n_entries", "encoder"]
PLOTS = ["confidence_histogram", "calibration", "threshold_sweep", "top_k_accuracy"]
HOSTILE = "<script>window.pwned=1</script>退款怎么还没到"
QUERIES = [
    {"text": "退款啥时候到", "expected_id": "refund"}, {"text": "运费收多少", "expected_id": "fee"},
    {"text": "积分可以抵现吗", "expected_id": "points"}, {"text": "发票去哪开", "expected_id": "invoice"},
    {"text": "密码想不起来了", "expected_id": "password"}, {"text": HOSTILE, "expected_id": "fee"},
    {"text": "帮我写首诗", "expected_id": None}, {"text": "今天天气怎么样", "expected_id": None},
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    (folder / "mini.yml").write_text(MINI_KB, encoding="utf-8")
    (folder / "six.yml").write_text("\n".join(MINI_KB.splitlines()[:7]), encoding="utf-8")  # 6 entries: quick folds
    (folder / "q.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES), encoding="utf-8")
    (folder / "no-pinyin.yml").write_text("sparse:\n  pinyin: false\n", encoding="utf-8")
    return folder


def eval_(files, *args, kb="mini.yml"):
    return runner.invoke(app, ["eval", "--kb", str(files / kb), "--no-progress", *args])


@pytest.fixture(scope="module")
def report(files):
    result = eval_(files, "--queries", str(files / "q.jsonl"), "--report", str(files / "report"),
                   "--out", str(files / "out.json"), "--fail-under", "accuracy_at_1=0.1",
                   "--fail-over", "wrong_answer_rate=0.9")
    assert result.exit_code == 0, result.output  # and the gate passed
    return files / "report"


def test_report_folder_has_json_html_and_plots_and_keeps_the_contract(report, files):
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    out = json.loads((files / "out.json").read_text(encoding="utf-8"))
    assert all(key in out and key in data for key in CONTRACT)
    assert out["n_queries"] == 8 and out["n_oos"] == 2 and 0 <= out["expected_calibration_error"] <= 1
    assert {f"{p}.png" for p in PLOTS} <= {p.name for p in report.iterdir()}
    assert all((report / f"{p}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in PLOTS)
    refund = next(r for r in data["per_entry"] if r["id"] == "refund")
    assert refund["support"] == 1 and refund["question"] == "退款多久到账"
    assert [p["k"] for p in data["top_k_accuracy"]][:3] == [1, 2, 3]
    sweep = data["threshold_sweep"]
    wrong = [p["wrong_answer_rate"] for p in sweep["points"]]
    assert wrong == sorted(wrong, reverse=True)  # a higher answer threshold never answers more wrongly
    assert sweep["configured_answer_threshold"] == out["thresholds"]["answer"]


def test_cross_validation_needs_no_labelled_queries(files, tmp_path):
    result = eval_(files, "--cv", "2", "--out", str(tmp_path / "cv.json"), kb="six.yml")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "cv.json").read_text(encoding="utf-8"))
    assert data["n_queries"] == 18 and data["n_oos"] == 0  # every similar question held out once
    assert len(data["folds"]) == 2 and sum(f["n_queries"] for f in data["folds"]) == 18
    assert data["accuracy_at_1"] > 0.5 and "accuracy_at_1_fold_std" in data


def test_queries_and_cv_together_are_refused(files):
    result = eval_(files, "--cv", "3", "--queries", str(files / "q.jsonl"))
    assert result.exit_code == 2 and "not both" in result.output


def test_comparing_two_configs_prints_one_table_with_intervals(files, tmp_path):
    result = eval_(files, "--queries", str(files / "q.jsonl"), "--config", str(ROOT / "config.yml"),  # as trained above
                   "--config", str(files / "no-pinyin.yml"), "--report", str(tmp_path / "cmp"))
    assert result.exit_code == 0, result.output
    header, _rule, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["metric", "config", "no-pinyin"] and "no-pinyin − config [95% CI]" in header
    accuracy = next(r for r in rows if r.startswith("accuracy_at_1 "))
    assert "[" in accuracy and "]" in accuracy
    data = json.loads((tmp_path / "cmp" / "report.json").read_text(encoding="utf-8"))
    assert data["baseline"] == "config" and set(data["runs"]) == {"config", "no-pinyin"}
    assert set(data["differences"]["no-pinyin"]["accuracy_at_1"]) == {"difference", "low", "high", "significant"}
    assert (tmp_path / "cmp" / "no-pinyin-calibration.png").exists()


def test_regression_gate_exits_1_listing_every_broken_limit(files):
    result = eval_(files, "--queries", str(files / "q.jsonl"), "--fail-under", "accuracy_at_1=1.01",
                   "--fail-over", "latency_ms_p50=0", "--fail-over", "wrong_answer_rate=1")
    assert result.exit_code == 1
    assert "regression gate failed" in result.stderr and "accuracy_at_1 = " in result.stderr
    assert "latency_ms_p50 = " in result.stderr and "is above the gate 0.0" in result.stderr
    assert "wrong_answer_rate" not in result.stderr
    assert json.loads(result.stdout)["n_queries"] == 8  # the report is still printed


def test_regression_gate_with_an_unknown_metric_exits_2_before_training(files):
    result = eval_(files, "--queries", str(files / "q.jsonl"), "--fail-under", "acc=0.8")
    assert result.exit_code == 2 and "expected METRIC=VALUE" in result.output and "accuracy_at_1" in result.output


def test_html_report_opens_from_disk_with_plots_sortable_tables_and_escaped_queries(report, browser):
    page = browser.new_page()
    page.goto(Path(report / "report.html").as_uri())
    loaded = page.eval_on_selector_all("img[data-plot]", "imgs => imgs.map(i => [i.dataset.plot, i.complete && "
                                                         "i.naturalWidth > 100])")
    assert sorted(loaded) == sorted([name, True] for name in PLOTS)
    assert page.evaluate("window.pwned") is None  # the query was shown, not run
    assert page.locator("td", has_text=HOSTILE).count() >= 1
    table = page.locator("table[id^=entries]")
    support = table.locator("th", has_text="support")
    support.click()
    ascending = [int(x) for x in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    support.click()
    descending = [int(x) for x in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    page.screenshot(path=str(ARTEFACTS / "eval-report.png"), full_page=True)
    page.close()
