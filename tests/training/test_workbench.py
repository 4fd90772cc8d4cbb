"""The trainers' workbench as a library: the draft in the store (SQLite and the real PostgreSQL),
conflicts, the audit log, publishing with the evaluation gate, rollback and restoring a draft."""
import pytest

from knowledge_base import load_kb
from knowledge_base.loader import KBValidationError
from tests.conftest import DEMO, back_to_version_one, demo_queries, started_workbench
from training.draft import EditConflict
from training.publisher import PublishRefused


@pytest.fixture(scope="module")
def started(store_url, tmp_path_factory):
    """A workbench whose first version (the demo KB) is published and live (started once per database)."""
    bench, _ = started_workbench(store_url, tmp_path_factory.mktemp("workbench"))
    return bench


@pytest.fixture
def bench(started):
    """The workbench as it was started: after each test, version 1 is live again and the draft is its copy."""
    yield started
    back_to_version_one(started)


def test_first_start_seeds_the_draft_and_the_test_set_and_publishes_version_one(bench):
    demo = load_kb(DEMO / "kb.yml")
    assert bench.publisher.live() == 1
    assert len(bench.draft.entries()) == len(demo) and len(bench.tests.cases()) == len(demo_queries())
    version = next(v for v in bench.publisher.versions() if v["number"] == 1)
    assert version["live"] and version["evaluation"]["draft"]["accuracy_at_1"] > 0.9
    setup = [a["action"] for a in bench.audit(limit=10_000) if a["actor"] == "setup"]
    assert setup[-3:] == ["publish", "test.import", "kb.import"]  # newest first: imported, then published


def test_a_second_trainer_saving_a_stale_entry_gets_a_conflict_and_nothing_is_overwritten(bench):
    loaded = bench.draft.entry("invoice_how")
    logged = len(bench.audit(target="invoice_how"))
    bench.draft.add_similar("invoice_how", ["发票能不能开成公司的"], "alice")
    stale = dict({k: v for k, v in loaded.items() if not k.startswith("_")}, question="改了标准问")
    with pytest.raises(EditConflict, match="changed by alice"):
        bench.draft.save(stale, "bob", loaded["_revision"])
    now = bench.draft.entry("invoice_how")
    assert now["question"] == loaded["question"] and "发票能不能开成公司的" in now["similar"]
    log = bench.audit(target="invoice_how")
    assert [a["actor"] for a in log[:len(log) - logged]] == ["alice"]  # bob's refused save is not logged


def test_an_invalid_edit_names_the_field_and_changes_nothing(bench):
    revision = bench.draft.revision()
    other = bench.draft.entry("order_place")["question"]
    with pytest.raises(KBValidationError, match=f"similar: question '{other}' is also under entry 'order_place'"):
        bench.draft.add_similar("order_cancel", [other], "alice")
    with pytest.raises(KBValidationError, match="valid_to"):
        bench.draft.save(dict(_fields(bench.draft.entry("order_cancel")), valid_to="next week"), "alice",
                         bench.draft.entry("order_cancel")["_revision"])
    assert bench.draft.revision() == revision


def test_a_failed_import_changes_nothing_and_a_merge_keeps_the_rest(bench, write):
    before = bench.draft.entries()
    broken = write("kb.jsonl", '{"id": "a", "question": "新问题", "answer": "x"}\n{"id": "b", "question": ""}\n')
    with pytest.raises(KBValidationError, match="kb.jsonl:2: question"):
        bench.draft.import_kb(load_kb(broken), "alice")
    assert bench.draft.entries() == before
    merged = bench.draft.import_kb(load_kb(write("more.jsonl", '{"id": "gift_card", "question": "礼品卡怎么用", '
                                                              '"answer": "在结算页选择礼品卡支付。"}\n')), "alice",
                                   merge=True)
    assert merged == {"added": 1, "changed": 0, "removed": 0}
    assert len(bench.draft.entries()) == len(before) + 1


def test_publish_makes_the_new_question_answerable_and_rollback_goes_back(bench):
    question = "发票抬头写错了能不能帮我改成单位的"
    before = max(v["number"] for v in bench.publisher.versions())
    bench.draft.add_similar("invoice_title_change", [question], "alice")
    version = bench.publisher.publish("alice", "单位抬头")
    number = version["number"]
    assert version["live"] and number == before + 1 and bench.publisher.live() == number
    assert question in bench.publisher.load(number).kb["invoice_title_change"].similar
    assert question not in bench.publisher.load(1).kb["invoice_title_change"].similar  # versions are immutable
    rolled = bench.publisher.rollback(1, "admin")
    assert rolled["live"] and bench.publisher.live() == 1
    assert bench.audit(limit=1)[0]["details"] == {"from": number, "to": 1}


def test_the_gate_refuses_a_draft_that_loses_answers_unless_forced(bench):
    for entry_id in ("order_cancel", "refund_progress", "shipping_time"):
        bench.draft.retire(entry_id, "alice")
    live = bench.publisher.live()
    with pytest.raises(PublishRefused) as refused:
        bench.publisher.publish("alice", "retire three")
    assert any(r.startswith("accuracy_at_1") for r in refused.value.reasons)
    assert bench.publisher.live() == live and bench.audit(limit=1)[0]["action"] == "publish.refused"
    forced = bench.publisher.publish("alice", "retire three", force=True)
    assert forced["evaluation"]["forced"] and forced["live"]
    assert bench.publisher.load(forced["number"]).kb.get("order_cancel") is None


def test_restoring_a_version_brings_its_entries_back_into_the_draft(bench):
    bench.draft.retire("order_cancel", "alice")
    bench.draft.add_similar("invoice_how", ["公司发票怎么开"], "alice")
    assert bench.draft.knowledge_base().content_hash() != bench.publisher.snapshot(1).content_hash()
    bench.publisher.restore_draft(1, "admin")
    assert bench.draft.entry("order_cancel")["status"] == "published"
    assert "公司发票怎么开" not in bench.draft.entry("invoice_how")["similar"]
    assert bench.draft.knowledge_base().content_hash() == bench.publisher.snapshot(1).content_hash()


def test_the_draft_exports_to_yaml_with_its_own_dictionary_and_reads_back_identically(bench, tmp_path):
    from knowledge_base.writer import write_kb

    kb = bench.draft.knowledge_base()
    write_kb(kb, tmp_path / "kb.yml", "yaml")
    again = load_kb(tmp_path / "kb.yml")
    assert (tmp_path / "dictionary.txt").exists() and set(again.resources) == {"user_dictionary", "synonyms"}
    assert again.content_hash() == kb.content_hash()


def _fields(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def test_a_worker_without_the_version_folder_rebuilds_it_from_the_database_snapshot(bench, store_url, tmp_path):
    import dataclasses

    from bot.store import ConversationStore
    from training.workbench import Workbench

    curation = dataclasses.replace(bench.config.curation, versions_dir=str(tmp_path / "elsewhere"))
    other = Workbench(ConversationStore(store_url), dataclasses.replace(bench.config, curation=curation))
    assert not (tmp_path / "elsewhere").exists()  # a new machine: nothing but the database
    rebuilt, original = other.publisher.load(1), bench.publisher.load(1)
    assert (other.publisher.folder(1) / "model" / "manifest.json").exists()  # kept for the next start
    assert [e.to_dict() for e in rebuilt.kb] == [e.to_dict() for e in original.kb]
    for question in ("退款多久能到账啊", "发票抬头开错了", "快递", "今天天气怎么样"):
        a, b = rebuilt.respond(question), original.respond(question)
        assert (a.decision, a.entry_id, [c.id for c in a.candidates]) == \
            (b.decision, b.entry_id, [c.id for c in b.candidates]), question
