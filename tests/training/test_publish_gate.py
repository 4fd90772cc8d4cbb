"""The publish gate compares the draft with the live version per question: on the test set, on recent
customer messages replayed, and on the flagship questions, which must keep their answers."""
import pytest

from knowledge_base.errors import InvalidInput
from tests.conftest import back_to_version_one, move_similar, started_workbench
from training.publisher import NoteRequired, PublishRefused


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gate")
    bench, _ = started_workbench(str(folder / "faqbot.sqlite3"), folder)
    return bench


@pytest.fixture
def bench(started):
    """Version 1 live again and the draft its copy after each test."""
    yield started
    back_to_version_one(started)


def test_moving_the_return_entrys_questions_away_is_refused_with_the_lost_answers(bench):
    move_similar(bench, "return_how", "return_7days")

    with pytest.raises(PublishRefused) as refused:
        bench.publisher.publish("alice", "")

    diff = refused.value.evaluation["diff"]
    assert "怎么退货" in [row["text"] for row in diff["flagship_lost"]]
    assert any("flagship question '怎么退货' loses its answer return_how" in r for r in refused.value.reasons)
    lost, changed = diff["lost_answers"], diff["changed_answers"]  # a question may be listed from both sources
    assert diff["test_set"]["lost_answers"] == len([r for r in lost if r["source"] == "test set"])
    assert diff["test_set"]["changed_answers"] == len([r for r in changed if r["source"] == "test set"])
    assert all(row["before"]["decision"] in ("answer", "handoff") and row["after"] != row["before"]
               for row in [*lost, *changed])
    assert bench.publisher.live() == 1 and bench.audit(limit=1)[0]["action"] == "publish.refused"


def test_publishing_anyway_needs_a_note_that_the_audit_log_keeps(bench):
    move_similar(bench, "return_how", "return_7days")

    with pytest.raises(NoteRequired, match="needs a note"):
        bench.publisher.publish("alice", "  ", force=True)
    assert bench.publisher.live() == 1
    version = bench.publisher.publish("alice", "活动期间退货改走七天无理由", force=True)

    assert version["live"] and version["evaluation"]["forced"]
    logged = bench.audit(limit=1)[0]
    assert logged["action"] == "publish" and logged["details"]["note"] == "活动期间退货改走七天无理由"
    assert any("怎么退货" in reason for reason in logged["details"]["overridden"])
    assert isinstance(NoteRequired("x"), InvalidInput)  # a 422 on the page, exit 2 in the CLI


def test_the_issues_edit_to_the_invoice_entry_passes_the_gate(bench):
    bench.draft.add_similar("invoice_how", ["报销凭证咋弄", "单子给我开一下"], "alice")

    version = bench.publisher.publish("alice", "invoice wording")

    diff = version["evaluation"]["diff"]
    assert version["live"] and not version["evaluation"]["forced"]
    assert diff["flagship"]["lost"] == 0 and diff["flagship"]["questions"] >= 3
    assert diff["test_set"]["lost_answer_share"] <= 0.01


def test_recent_customer_messages_are_replayed_with_the_live_answer_as_reference(bench):
    for i, text in enumerate(["我要退货", "我要退货", "退货在哪里申请 电话13812345678", "今天天气怎么样"]):
        bench.store.receive(f"gate-{i}", "web", text)
    move_similar(bench, "return_how", "return_7days")

    evaluation = bench.publisher.preview()

    assert evaluation["diff"]["traffic"]["questions"] >= 3
    replayed = [row for row in evaluation["diff"]["lost_answers"] if row["source"] == "traffic"]
    assert "我要退货" in [row["text"] for row in replayed]
    assert not any("13812345678" in row["text"] for row in replayed)  # shown masked
    assert any(r.startswith("近期真实问题：") and "recent traffic:" in r for r in evaluation["regressions"])
    assert bench.publisher.live() == 1  # a preview publishes nothing
