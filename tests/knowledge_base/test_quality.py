"""Quality checks on a knowledge base: what loads but would serve customers badly."""
import json
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import CurationConfig
from knowledge_base.loader import load_kb
from knowledge_base.quality import check_quality, similar_pairs, summarise

from tests.conftest import DEMO, ROOT

TODAY = date(2031, 3, 10)
SETTINGS = CurationConfig()  # min_similar_questions 3, expiring_within_days 14, near_duplicate_similarity 0.92
ANSWER = "{default: 请在App内操作。, app: 打开App首页操作。}"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


# Every entry but "clean" has exactly one planted problem (or is the other half of one).
KB = f"""\
entries:
  - {{id: clean, question: 积分怎么用, similar: [积分有什么用, 积分能抵钱吗, 怎么用积分], answer: {ANSWER}, related: [invoice]}}
  - {{id: invoice, question: 怎么开发票, similar: [能开发票吗, 发票在哪里开, 我要开票], answer: {ANSWER}}}
  - {{id: invoice_copy, question: 怎么开发票？, similar: [电子发票怎么下载, 发票抬头写错了, 发票丢了能补吗], answer: {ANSWER}}}
  - {{id: refund, question: 退款多久到账, similar: [钱什么时候退回来, 退款进度怎么查, 退的钱还没到], answer: {ANSWER}}}
  - {{id: refund_time, question: 退款多长时间到账, similar: [退款要等几天, 退款一般几天能收到, 退款周期是多久], answer: {ANSWER}}}
  - {{id: hotline, question: 客服电话是多少, similar: [热线电话], answer: {ANSWER}}}
  - {{id: promo_old, question: 双十一活动怎么参加, similar: [双十一有什么优惠, 双十一怎么买便宜, 双十一活动规则],
      answer: {ANSWER}, valid_to: {day(-1)}}}
  - {{id: promo_soon, question: 年货节活动规则, similar: [年货节有什么优惠, 年货节怎么参加, 年货节满减怎么算],
      answer: {ANSWER}, valid_to: {day(5)}}}
  - {{id: promo_next, question: 618活动什么时候开始, similar: [618有什么优惠, 618怎么参加, 618活动规则],
      answer: {ANSWER}, valid_from: {day(10)}}}
  - {{id: address, question: 怎么修改收货地址, similar: [地址填错了, 改地址, 收货地址能改吗],
      answer: {{default: 发货前可在订单页修改。, app: ""}}}}
  - {{id: member, question: 怎么开通会员, similar: [会员怎么办理, 我想成为会员, 开会员]}}
  - {{id: web_only, question: 怎么取消订单, similar: [订单不想要了, 下错单了, 取消订单], answer: 未发货订单可直接取消。}}
  - {{id: links_draft, question: 怎么预约上门安装, similar: [空调怎么装, 预约安装, 安装师傅什么时候来], answer: {ANSWER},
      related: [draft_entry]}}
  - {{id: draft_entry, question: 安装要收费吗, similar: [安装费多少], answer: {ANSWER}, status: draft}}
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "kb.yml"
    path.write_text(KB, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def findings(kb, demo_bot):
    return check_quality(load_kb(kb), SETTINGS, demo_bot.retriever, today=TODAY)


def found(findings, kind, severity=None):
    return {f.entry_ids for f in findings if f.kind == kind and severity in (None, f.severity)}


@pytest.mark.parametrize("kind, severity, entry_ids", [
    ("near_duplicate", "error", ("invoice", "invoice_copy")),  # "怎么开发票" / "怎么开发票？"
    ("near_duplicate", "warning", ("refund", "refund_time")),  # a rewording under another entry
    ("too_few_similar", "warning", ("hotline",)),
    ("expired", "warning", ("promo_old",)),
    ("expiring_soon", "warning", ("promo_soon",)),
    ("not_yet_valid", "info", ("promo_next",)),
    ("empty_answer", "warning", ("address",)),  # "app": ""
    ("empty_answer", "error", ("member",)),  # no answer at all
    ("broken_related", "warning", ("links_draft", "draft_entry")),
])
def test_each_planted_problem_is_found(findings, kind, severity, entry_ids):
    assert entry_ids in found(findings, kind, severity)


def test_only_the_planted_pairs_are_near_duplicates(findings):
    assert found(findings, "near_duplicate") == {("invoice", "invoice_copy"), ("refund", "refund_time")}
    near = next(f for f in findings if f.entry_ids == ("refund", "refund_time"))
    assert near.details["texts"] == ["退款多久到账", "退款多长时间到账"]
    assert 0.92 <= near.details["similarity"] < 1 and not near.details["exact"]
    assert '"退款多久到账" (refund)' in near.message


def test_entries_missing_a_channel_answer_are_named_once_per_channel(findings):
    info = [f for f in findings if f.kind == "empty_answer" and f.severity == "info"]
    assert len(info) == 1 and info[0].details == {"channel": "app"}
    assert set(info[0].entry_ids) == {"member", "web_only"}  # "address" has a blank app answer: a warning


def test_a_clean_entry_is_not_flagged(findings):
    assert not [f for f in findings if "clean" in f.entry_ids]


def test_errors_come_first_and_the_summary_counts_them(findings):
    ranks = [("error", "warning", "info").index(f.severity) for f in findings]
    assert ranks == sorted(ranks)
    summary = summarise(findings)
    assert summary["by_severity"] == {"error": 2, "warning": 6, "info": 2} and summary["total"] == 10
    assert summary["by_kind"]["near_duplicate"] == 2 and summary["by_kind"]["broken_related"] == 1
    assert json.loads(json.dumps([f.to_dict() for f in findings], ensure_ascii=False))[0]["severity"] == "error"


def test_without_a_bot_only_exact_duplicates_are_found(kb):
    findings = check_quality(load_kb(kb), SETTINGS, today=TODAY)
    assert found(findings, "near_duplicate") == {("invoice", "invoice_copy")}


def test_the_demo_kb_has_no_errors(demo_bot, demo_config):
    findings = check_quality(load_kb(DEMO / "kb.yml"), demo_config.curation, demo_bot.retriever)
    assert not [f.message for f in findings if f.severity == "error"]


def test_many_similar_questions_of_one_entry_do_not_hide_a_pair():
    """Every question's 8 nearest neighbours are its own entry's; the pair across entries is deeper."""
    rng = np.random.default_rng(0)
    a, b = np.zeros(16, np.float32), np.zeros(16, np.float32)
    a[0], b[0], b[1] = 1, 0.96, 0.28  # cos(a, b) = 0.96
    vectors = np.vstack([a + rng.normal(0, 0.005, (20, 16)), b + rng.normal(0, 0.005, (20, 16))]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    i, j, similarity = similar_pairs(vectors, np.repeat([0, 1], 20), 0.92)
    assert len(i) == 20 * 20 and set(i) == set(range(20)) and set(j) == set(range(20, 40))
    assert np.all(similarity >= 0.92) and np.all(np.diff(similarity) <= 0)


# -- faqbot kb check ------------------------------------------------------------------------------
runner = CliRunner()
CONFIG = str(ROOT / "config.yml")


def test_kb_check_prints_findings_grouped_and_strict_fails_on_errors(kb, demo_bot):
    result = runner.invoke(app, ["kb", "check", str(kb), "--model", str(demo_bot.folder), "--config", CONFIG])
    assert result.exit_code == 0, result.output
    assert "OK — 14 entries" in result.stdout and "ERROR near_duplicate (1)" in result.stdout
    assert "WARNING too_few_similar (1)" in result.stdout and "INFO not_yet_valid (1)" in result.stdout
    strict = runner.invoke(app, ["kb", "check", str(kb), "--model", str(demo_bot.folder), "--config", CONFIG,
                                 "--strict"])
    assert strict.exit_code == 1


def test_kb_check_json_lists_every_finding(kb, demo_bot):
    result = runner.invoke(app, ["kb", "check", str(kb), "--model", str(demo_bot.folder), "--config", CONFIG,
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["entries"] == 14 and report["summary"]["by_severity"]["error"] == 2
    assert {"kind": "too_few_similar", "severity": "warning", "entry_ids": ["hotline"]}.items() <= \
        next(f for f in report["findings"] if f["kind"] == "too_few_similar").items()


def test_kb_check_without_quality_only_validates(kb):
    result = runner.invoke(app, ["kb", "check", str(kb), "--no-quality", "--strict"])
    assert result.exit_code == 0 and "quality" not in result.stdout


def test_kb_check_trains_a_bot_on_the_checked_kb_by_default(mini_kb):
    result = runner.invoke(app, ["kb", "check", str(mini_kb), "--config", CONFIG, "--strict"])
    assert result.exit_code == 0, result.output
    assert "OK — 12 entries" in result.stdout and "quality:" in result.stdout
