import pytest

from knowledge_base import load_kb
from knowledge_base.writer import write_kb


@pytest.mark.parametrize("fmt, suffix", [("yaml", "yml"), ("jsonl", "jsonl"), ("csv", "csv"), ("rasa", "yml")])
def test_demo_kb_round_trips_in_every_format(tmp_path, fmt, suffix):
    from tests.conftest import DEMO

    kb = load_kb(DEMO / "kb.yml")
    out = tmp_path / f"kb.{suffix}"
    write_kb(kb, out, fmt)
    assert [e.to_dict() for e in load_kb(out)] == [e.to_dict() for e in kb]


def test_metadata_and_dates_survive_csv(tmp_path, write):
    kb = load_kb(write("kb.jsonl", '{"id": "a", "question": "双十一活动", "valid_from": "2024-11-01", '
                                   '"valid_to": "2024-11-12", "metadata": {"owner": "运营"}, "status": "draft"}\n'
                                   '{"id": "b", "question": "运费"}\n'))
    write_kb(kb, tmp_path / "out.csv", "csv")
    assert [e.to_dict() for e in load_kb(tmp_path / "out.csv")] == [e.to_dict() for e in kb]
