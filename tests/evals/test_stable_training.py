"""Issue 19's edit on the demo KB: two similar questions added to the invoice entry change the
decisions of (almost) no question of another entry, and no flagship question loses its answer."""
from __future__ import annotations

from evals.stable_training import measure
from knowledge_base import load_kb
from training.queries import load_queries
from tests.conftest import DEMO


def test_adding_two_similar_questions_to_one_entry_leaves_the_other_entries_alone(demo_config):
    result = measure(load_kb(DEMO / "kb.yml"), demo_config, load_queries(DEMO / "queries.jsonl"))

    changed = [f"{c['text']}: {c['change']}" for c in result["changed"]]
    assert result["other_changed_share"] <= 0.01, changed
    assert result["flagship_lost"] == []
