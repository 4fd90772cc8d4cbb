from datetime import date

import pytest

from knowledge_base import KBValidationError, load_kb

GOOD_YAML = """\
entries:
  - id: refund_time
    category: 售后/退款
    question: 退款多久到账
    similar: [退款什么时候到, 钱多久退回来]
    answer:
      default: 原路退回，1-7个工作日到账。
      app: 在App「我的-退款」查看进度。
    keywords: [退款]
    related: [invoice]
    valid_from: 2024-01-01
  - id: invoice
    question: 怎么开发票
"""


def test_yaml_entry_fields(write):
    kb = load_kb(write("kb.yml", GOOD_YAML))
    entry = kb["refund_time"]
    assert entry.similar == ("退款什么时候到", "钱多久退回来")
    assert entry.answer_for("app").startswith("在App")
    assert entry.answer_for("wechat") == "原路退回，1-7个工作日到账。"
    assert entry.related == ("invoice",) and entry.valid_from == date(2024, 1, 1)
    assert kb["invoice"].answer == {}  # only id and question are required


def test_jsonl_and_csv_load_the_same_entries(write):
    jsonl = write("kb.jsonl", '{"id": "a", "question": "怎么退货", "similar": ["退货流程"]}\n\n'
                              '{"id": "b", "question": "运费多少"}\n')
    csv = write("kb.csv", "id,question,similar,answer,answer_app,handoff\n"
                          "a,怎么退货,退货流程|如何退货,七天无理由,App里申请,\n"
                          "b,我要投诉,,,,true\n")
    assert [e.id for e in load_kb(jsonl)] == ["a", "b"]
    kb = load_kb(csv)
    assert kb["a"].similar == ("退货流程", "如何退货")
    assert kb["a"].answer == {"default": "七天无理由", "app": "App里申请"}
    assert kb["b"].handoff is True


def _problems(path):
    with pytest.raises(KBValidationError) as err:
        load_kb(path)
    return [str(p) for p in err.value.problems]


def test_yaml_errors_name_file_line_and_field(write):
    path = write("kb.yml", "entries:\n  - id: a\n    question: 你好\n  - id: b\n    question: ''\n"
                           "  - id: c\n    question: 运费\n    handoff: maybe\n")
    problems = _problems(path)
    assert f"{path}:5: question: missing or empty" in problems[0]
    assert any(p.startswith(f"{path}:8: handoff") for p in problems)


def test_duplicate_ids_are_reported_with_both_places(write):
    path = write("kb.jsonl", '{"id": "a", "question": "x"}\n{"id": "b", "question": "y"}\n'
                             '{"id": "a", "question": "z"}\n')
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:3: id") and "line 1" in problem


def test_same_similar_question_under_two_entries_is_reported_with_both_places(write):
    path = write("kb.jsonl", '{"id": "a", "question": "怎么退货", "similar": ["退货"]}\n'
                             '{"id": "b", "question": "退款", "similar": ["退货"]}\n')
    (problem,) = _problems(path)
    assert f"{path}:2: similar" in problem and "'a'" in problem and "line 1" in problem


def test_every_problem_is_reported_and_nothing_is_silently_dropped(write):
    path = write("kb.jsonl", '{"id": "a", "question": "x", "colour": "red"}\n{"question": "y"}\n'
                             'not json\n{"id": "d", "question": "w", "related": ["nope"]}\n')
    problems = _problems(path)
    assert len(problems) == 4
    assert any(":1: colour: unknown field" in p for p in problems)
    assert any(":2: id: missing" in p for p in problems)
    assert any(":3: not valid JSON" in p for p in problems)
    assert any(":4: related: unknown entry id 'nope'" in p for p in problems)


def test_csv_errors_name_the_row(write):
    path = write("kb.csv", "id,question,valid_to\na,退货,2024-13-01\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:2: valid_to")


def test_expired_and_draft_entries_are_not_live(write):
    kb = load_kb(write("kb.jsonl", '{"id": "a", "question": "x", "valid_to": "2020-01-01"}\n'
                                   '{"id": "b", "question": "y", "status": "draft"}\n{"id": "c", "question": "z"}\n'))
    assert [e.id for e in kb.live(date(2025, 1, 1))] == ["c"]


def test_the_demo_kb_is_rich_enough(demo_config):
    from tests.conftest import DEMO

    kb = load_kb(DEMO / "kb.yml")
    assert len(kb) >= 60
    assert all(len(e.similar) >= 5 for e in kb)
    assert all(e.answer_for() and e.category for e in kb)


def test_a_field_given_twice_in_one_yaml_entry_is_reported(write):
    path = write("kb.yml", "entries:\n  - id: a\n    question: 退货\n    similar: [怎么退]\n    similar: [退货流程]\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:5: similar: given twice") and "line 4" in problem


def test_non_utf8_files_are_refused_with_a_hint(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_bytes("id,question\na,怎么退货\n".encode("gbk"))
    (problem,) = _problems(path)
    assert "not UTF-8" in problem


def test_an_empty_kb_is_an_error(write):
    (problem,) = _problems(write("kb.yml", "entries: []\n"))
    assert "no entries" in problem


def test_json_array_and_numeric_questions_load(write):
    kb = load_kb(write("kb.json", '[{"id": "a", "question": 12306, "similar": ["火车票"]}]'))
    assert kb["a"].question == "12306"


def test_kb_own_dictionary_files_are_picked_up_and_hashed(tmp_path, write):
    write("dict.txt", "运费险 10 n\n")
    path = write("kb.yml", "dictionary: dict.txt\nentries:\n  - {id: a, question: 运费险怎么赔}\n")
    kb = load_kb(path)
    assert kb.resources["user_dictionary"] == str((tmp_path / "dict.txt").resolve())
    before = kb.content_hash()
    write("dict.txt", "运费险 10 n\n价保 5 n\n")
    assert load_kb(path).content_hash() != before


def test_unknown_top_level_yaml_key_is_reported(write):
    path = write("kb.yml", "entrys:\n  - {id: a, question: x}\n")
    problems = _problems(path)
    assert any(f"{path}:1: entrys: unknown top-level key" in p for p in problems)
