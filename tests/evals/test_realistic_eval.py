"""Realistic-message evaluation (issue 25): labels by reference into the JD sessions sample, the
per-query predictions file, and decision accuracy per class and split on hand-made outcomes."""
import json

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from handoff.session_refs import SAMPLE
from handoff.transcript import TranscriptError, load_transcripts
from tests.conftest import MINI_KB
from training.decision_metrics import decision_report
from training.metrics import Outcome
from training.queries import LabelledQuery, QueryFileError, load_queries
from training.splits import HELD_OUT, TUNING, split_of

SESSION = {"session_id": "s1", "turns": [
    {"role": "customer", "text": "你好"}, {"role": "agent", "text": "您好"},
    {"role": "customer", "text": "单号[订单x]的退款啥时候到"}]}


def write_sessions(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(SESSION, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


REF_ROW = {"id": "jd-s1-2", "ref": {"session_id": "s1", "turn": 2}, "class": "numbers",
           "expected_decision": "answer", "expected_ids": ["refund"]}


def test_a_reference_reads_the_turn_from_the_given_sessions_file_placeholders_blanked(tmp_path):
    sessions = write_sessions(tmp_path / "elsewhere.jsonl")
    [query] = load_queries(write_jsonl(tmp_path / "q.jsonl", [REF_ROW]), {"refund"}, sessions)
    assert query.text == "单号 的退款啥时候到"
    assert (query.id, query.kind, query.expected_decision, query.expected_ids) == \
        ("jd-s1-2", "numbers", "answer", ("refund",))
    assert query.expected_id == "refund"


def test_the_sample_is_found_beside_a_folder_above_the_data_file(tmp_path):
    write_sessions(tmp_path / SAMPLE)
    data = tmp_path / "repo" / "evals" / "realistic"
    data.mkdir(parents=True)
    [query] = load_queries(write_jsonl(data / "q.jsonl", [REF_ROW]), {"refund"})
    assert query.text.endswith("退款啥时候到")


def test_a_missing_sample_is_a_clear_error_naming_the_way_out(tmp_path):
    with pytest.raises(QueryFileError, match="sessions sample.*--sessions"):
        load_queries(write_jsonl(tmp_path / "q.jsonl", [REF_ROW]), {"refund"}, tmp_path / "missing.jsonl")


def test_a_reference_to_no_such_turn_names_the_line(tmp_path):
    sessions = write_sessions(tmp_path / "s.jsonl")
    row = dict(REF_ROW, ref={"session_id": "s1", "turn": 9})
    with pytest.raises(QueryFileError, match=r"q.jsonl:1: ref: session s1 has no turn 9"):
        load_queries(write_jsonl(tmp_path / "q.jsonl", [row]), {"refund"}, sessions)


def test_bad_decision_labels_are_refused(tmp_path):
    rows = [{"text": "退款", "expected_decision": "maybe", "expected_ids": ["refund", "nope"]}]
    with pytest.raises(QueryFileError) as caught:
        load_queries(write_jsonl(tmp_path / "q.jsonl", rows), {"refund"})
    assert "expected_decision: 'maybe'" in str(caught.value) and "['nope'] not entries" in str(caught.value)


def test_a_conversation_replays_session_turns_by_reference(tmp_path):
    sessions = write_sessions(tmp_path / "s.jsonl")
    (tmp_path / "d.yml").write_text("conversations:\n  - id: jd-s1\n    session: s1\n    turns:\n"
                                    "      - {ref: 0, entry: greeting, handoff: false}\n      - {ref: 2}\n",
                                    encoding="utf-8")
    [conversation] = load_transcripts(tmp_path / "d.yml", sessions)
    assert [t.text for t in conversation.turns] == ["你好", "单号 的退款啥时候到"]
    assert conversation.turns[0].entry == "greeting" and conversation.turns[0].handoff is False
    with pytest.raises(TranscriptError, match="sessions sample"):
        load_transcripts(tmp_path / "d.yml", tmp_path / "missing.jsonl")


def query(qid, kind, decision, ids=()):
    return LabelledQuery("text " + qid, ids[0] if ids else None, qid, kind, decision, tuple(ids))


def outcome(decision, ranked, options=()):
    return Outcome(None, ranked, decision, options)


def ids_in(split):
    return (f"q{n}" for n in range(1000) if split_of(f"q{n}") == split)


def test_decision_accuracy_per_class_and_split_on_known_numbers():
    tuning, held = ids_in(TUNING), ids_in(HELD_OUT)
    pairs = [
        (query(next(tuning), "plain", "answer", ["a"]), outcome("answer", ["a", "b"])),  # right
        (query(next(tuning), "plain", "answer", ["a"]), outcome("clarify", ["a", "b"], ["a"])),  # timid: wrong
        (query(next(tuning), "plain", "answer", ["a"]), outcome("answer", ["b", "a"])),  # wrong answer
        (query(next(held), "vague", "clarify", ["a", "b"]), outcome("clarify", ["c", "b"], ["c", "b"])),  # right
        (query(next(held), "oos", "fallback"), outcome("answer", ["c"])),  # wrong answer
        (query(next(held), "human", "handoff"), outcome("handoff", ["h"])),  # right
        (query(next(tuning), "multi_question", "answer", ["a", "b"]), outcome("answer", ["b", "x", "a"])),  # right, covered
    ]
    report = decision_report([q for q, _ in pairs], [o for _, o in pairs])
    assert report["n"] == 7 and report["decision_accuracy"] == round(4 / 7, 4)
    assert report["answerable_answered"] == 0.5  # 2 of the 4 answerable
    assert report["one_option_clarify_share"] == round(1 / 7, 4)
    assert report["wrong_answers"] == 2
    assert report["multi_question_all_in_top5"] == 1.0  # both entries asked about are in its top 5
    assert report["by_class"]["plain"]["decision_accuracy"] == round(1 / 3, 4)
    assert report["by_class"]["vague"]["decision_accuracy"] == 1.0
    assert report["by_class"]["oos"] == {"n": 1, "decision_accuracy": 0.0, "answerable_answered": None,
                                         "one_option_clarify_share": 0.0, "wrong_answers": 1,
                                         "wrong_answer_rate": 1.0}
    assert report["confusion"]["answer"] == {"answer": 3, "clarify": 1}
    assert report["by_split"][TUNING]["n"] == 4 and report["by_split"][TUNING]["decision_accuracy"] == 0.5
    assert report["by_split"][HELD_OUT]["decision_accuracy"] == round(2 / 3, 4)
    assert set(report["by_split"][HELD_OUT]["by_class"]) == {"vague", "oos", "human"}


def test_a_file_without_decision_labels_has_no_decision_report():
    assert decision_report([LabelledQuery("x", "a")], [outcome("answer", ["a"])]) is None


def test_split_is_a_fixed_third_by_id():
    names = [split_of(f"id-{n}") for n in range(3000)]
    assert 0.3 < names.count(HELD_OUT) / 3000 < 0.37
    assert split_of("w-001") == split_of("w-001")


def test_eval_writes_a_prediction_per_query_and_decision_accuracy(tmp_path):
    (tmp_path / "mini.yml").write_text(MINI_KB, encoding="utf-8")
    sessions = write_sessions(tmp_path / "s.jsonl")
    rows = [REF_ROW, {"id": "w-1", "text": "帮我写首诗", "class": "out_of_scope", "expected_decision": "fallback",
                      "expected_ids": []},
            {"id": "w-2", "text": "我要投诉你们", "class": "human_request", "expected_decision": "handoff",
             "expected_ids": ["complaint"]}]
    result = CliRunner().invoke(app, [
        "eval", "--kb", str(tmp_path / "mini.yml"), "--queries", str(write_jsonl(tmp_path / "q.jsonl", rows)),
        "--sessions", str(sessions), "--predictions", str(tmp_path / "p.jsonl"), "--out", str(tmp_path / "r.json"),
        "--no-progress"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["jd-s1-2", "w-1", "w-2"]
    first = lines[0]
    assert first["text"] == "单号 的退款啥时候到" and first["expected_ids"] == ["refund"]
    assert first["decision"] in ("answer", "clarify", "fallback", "handoff") and first["reasons"]
    assert len(first["top"]) == 5 and first["top"][0]["score"] >= first["top"][1]["score"]
    assert 0 <= first["confidence"] <= 1 and first["split"] == split_of("jd-s1-2")
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["decisions"]
    assert report["n"] == 3 and set(report["by_class"]) == {"numbers", "out_of_scope", "human_request"}
    assert report["decision_accuracy"] == round(sum(line["correct"] for line in lines) / 3, 4)
