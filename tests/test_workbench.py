"""The trainers' workbench as a library: the draft in the store (SQLite and the real PostgreSQL),
conflicts, the audit log, publishing with the evaluation gate, rollback and restoring a draft."""
import dataclasses

import pytest

from bot.store import ConversationStore
from knowledge_base import load_kb
from knowledge_base.loader import KBValidationError
from tests.conftest import DEMO
from training.draft import EditConflict
from training.publisher import PublishRefused
from training.workbench import Workbench


@pytest.fixture(scope="module")
def bench(store_url, demo_config, tmp_path_factory):
    """A workbench whose first version (the demo KB) is published and live."""
    curation = dataclasses.replace(demo_config.curation, versions_dir=str(tmp_path_factory.mktemp("versions")))
    bench = Workbench(ConversationStore(store_url), dataclasses.replace(demo_config, curation=curation))
    bench.start(load_kb(DEMO / "kb.yml"), actor="setup")
    return bench


def test_first_start_seeds_the_draft_and_the_test_set_and_publishes_version_one(bench):
    assert bench.publisher.live() == 1
    assert len(bench.draft.entries()) == 85 and len(bench.tests.cases()) == 204
    version = bench.publisher.versions()[0]
    assert version["live"] and version["evaluation"]["draft"]["accuracy_at_1"] > 0.9
    assert [a["action"] for a in bench.audit()][:3] == ["publish", "test.import", "kb.import"]


def test_a_second_trainer_saving_a_stale_entry_gets_a_conflict_and_nothing_is_overwritten(bench):
    loaded = bench.draft.entry("invoice_how")
    bench.draft.add_similar("invoice_how", ["发票能不能开成公司的"], "alice")
    stale = dict({k: v for k, v in loaded.items() if not k.startswith("_")}, question="改了标准问")
    with pytest.raises(EditConflict, match="changed by alice"):
        bench.draft.save(stale, "bob", loaded["_revision"])
    now = bench.draft.entry("invoice_how")
    assert now["question"] == loaded["question"] and "发票能不能开成公司的" in now["similar"]
    assert [a["actor"] for a in bench.audit(target="invoice_how")] == ["alice"]


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
    bench.draft.add_similar("invoice_title_change", [question], "alice")
    version = bench.publisher.publish("alice", "单位抬头")
    assert version["live"] and version["number"] == 2
    assert question in bench.publisher.load(2).kb["invoice_title_change"].similar
    assert question not in bench.publisher.load(1).kb["invoice_title_change"].similar  # versions are immutable
    rolled = bench.publisher.rollback(1, "admin")
    assert rolled["live"] and bench.publisher.live() == 1
    assert bench.audit(limit=1)[0]["details"] == {"from": 2, "to": 1}


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
    bench.publisher.restore_draft(1, "admin")
    assert bench.draft.entry("order_cancel")["status"] == "published"
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
