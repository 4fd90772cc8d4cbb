"""Knowledge analytics over conversations the service really had: hits and helpful votes per entry,
the share of nearby questions the bot clarified or fell back on, what went unanswered near an entry,
stale entries — from the library, the API (JSON and CSV) and `faqbot kb analytics`."""
import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.service.conversations import Conversations
from tests.conftest import ROOT, sign_in, started_workbench, workbench_app

FEE, VAGUE, GIFT = "运费怎么算", "快递", "礼品卡怎么用"  # answered / clarified on purpose / fallen back on
EXPIRING = "member_birthday"  # given a validity ending in 5 days


@pytest.fixture(scope="module")
def bench(store_url, tmp_path_factory):
    bench, bot = started_workbench(store_url, tmp_path_factory.mktemp("workbench"))
    service = Conversations(bot, bench.store)

    def ask(text, session=None):
        return service.handle(session or "a-" + uuid.uuid4().hex[:10], text)

    for vote in ("yes", "yes", "no"):
        session = "v-" + uuid.uuid4().hex[:10]
        reply = ask(FEE, session)
        assert (reply["decision"], reply["entry_id"]) == ("answer", "shipping_fee")
        bench.store.add_feedback(session, reply["message_id"], "helpful", vote)
    assert ask(VAGUE)["decision"] == "clarify"
    assert ask(GIFT)["decision"] == "fallback"
    entry = bench.draft.entry(EXPIRING)
    bench.draft.save(dict({k: v for k, v in entry.items() if not k.startswith("_")},
                          valid_to=(date.today() + timedelta(days=5)).isoformat()), "setup", entry["_revision"])
    bench.url = store_url
    return bench


@pytest.fixture(scope="module")
def rows(bench):
    return {r.entry_id: r for r in bench.analytics(days=30)}


def test_hits_and_the_helpful_rate_come_from_answers_and_votes(bench, rows):
    fee = rows["shipping_fee"]
    assert (fee.hits, fee.helpful, fee.not_helpful, fee.helpful_rate) == (3, 2, 1, pytest.approx(2 / 3, abs=1e-3))
    assert fee.clarify_share == 0 and fee.fallback_share == 0 and fee.last_asked is not None
    assert bench.analytics(days=30)[0].entry_id == "shipping_fee"  # most hits first


def test_clarified_and_unanswered_questions_count_for_the_entry_they_were_near(rows):
    near_vague = [r for r in rows.values() if VAGUE in r.unanswered]
    assert len(near_vague) == 1 and near_vague[0].clarify_share == 1.0 and near_vague[0].hits == 0
    near_gift = [r for r in rows.values() if GIFT in r.unanswered]
    assert len(near_gift) == 1 and near_gift[0].fallback_share == 1.0


def test_entries_without_hits_or_ending_soon_are_stale(rows):
    assert "no_hits" in rows["order_place"].stale and "no_hits" not in rows["shipping_fee"].stale
    assert "expiring" in rows[EXPIRING].stale


def test_the_api_serves_the_rows_and_a_csv_export(bench):
    app = workbench_app(bench, bench.publisher.load(bench.publisher.live()), ("trainer", "trainer"))
    with TestClient(app) as client:
        headers = sign_in(client, "trainer")
        listed = client.get("/api/trainer/analytics", params={"days": 30}, headers=headers)
        assert listed.status_code == 200 and listed.json()[0]["entry_id"] == "shipping_fee"
        exported = client.get("/api/trainer/analytics.csv", headers=headers)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert client.get("/api/trainer/analytics", params={"days": 0}, headers=headers).status_code == 422
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    fee = next(r for r in table if r["entry_id"] == "shipping_fee")
    assert (fee["hits"], fee["helpful"], fee["question"]) == ("3", "2", "运费怎么算")


def test_the_command_prints_the_table_and_writes_csv(bench, tmp_path):
    out = tmp_path / "analytics.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["kb", "analytics", "--db", bench.url, "--config", str(ROOT / "config.yml"),
                                 "--csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "shipping_fee,运费怎么算" in out.read_text(encoding="utf-8-sig")
    stale = runner.invoke(cli, ["kb", "analytics", "--db", bench.url, "--config", str(ROOT / "config.yml"), "--stale"])
    listed = {line.split()[0] for line in stale.output.splitlines()[1:]}
    assert stale.exit_code == 0 and EXPIRING in listed and "shipping_fee" not in listed
