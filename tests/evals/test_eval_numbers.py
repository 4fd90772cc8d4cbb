"""The evaluator toolkit's numbers, on examples small enough to compute by hand."""
import pytest

from evals.bootstrap import compare, difference_interval
from evals.calibration import calibration
from evals.confusion import confused_pairs
from evals.curves import top_k_accuracy
from evals.gate import GateSpecError, failures, parse_limits
from training.metrics import Outcome, indicators, report
from evals.per_entry import per_entry


def test_expected_calibration_error_weighs_each_bin_by_its_share_of_queries():
    # bin 0.9: confidence 0.9, right 1 of 2 → gap 0.4; bin 0.1: confidence 0.1, right 0 of 2 → gap 0.1
    result = calibration([0.9, 0.9, 0.1, 0.1], [True, False, False, False])
    assert result["ece"] == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    nine = result["bins"][9]
    assert (nine["n"], nine["confidence"], nine["accuracy"]) == (2, 0.9, 0.5)
    assert sum(b["n"] for b in result["bins"]) == 4


def test_a_perfectly_calibrated_bot_has_zero_calibration_error():
    assert calibration([0.75] * 4, [True, True, True, False])["ece"] == 0.0


def test_bootstrap_interval_of_a_two_query_difference_spans_every_possible_resample():
    # B answers query 1 wrongly where A was right; query 2 both wrong. Resampled differences are
    # −1 (query 1 twice, p=1/4), −0.5 (p=1/2) or 0 (p=1/4): the 95 % interval is [−1, 0].
    d = difference_interval([1, 0], [1, 1], [0, 0], [1, 1], resamples=2000)
    assert d["difference"] == -0.5 and d["low"] == -1.0 and d["high"] == 0.0 and not d["significant"]


def test_bootstrap_of_identical_pipelines_is_exactly_zero_and_a_clear_gain_is_significant():
    same = difference_interval([1, 0, 1], [1, 1, 1], [1, 0, 1], [1, 1, 1])
    assert (same["low"], same["high"]) == (0.0, 0.0)
    gain = difference_interval([0] * 50 + [1] * 50, [1] * 100, [1] * 100, [1] * 100)
    assert gain["difference"] == 0.5 and gain["low"] > 0.35 and gain["significant"]


def test_bootstrap_compare_refuses_different_query_sets():
    with pytest.raises(ValueError, match="same queries"):
        compare([Outcome("a", ["a"], "answer", text="x")], [Outcome("a", ["a"], "answer", text="y")], ["accuracy_at_1"])


def test_metric_indicators_reproduce_the_contract_report():
    outcomes = [Outcome("a", ["a", "b"], "answer"), Outcome("b", ["a", "b"], "clarify", ["a", "b"]),
                Outcome(None, ["a"], "answer"), Outcome(None, ["b"], "fallback")]
    r = report(outcomes)
    for name, (num, den) in indicators(outcomes).items():
        assert r[name] == round(num.sum() / den.sum(), 4), name


OUTCOMES = [  # per entry: a has 3 queries (2 ranked first), b has 1 (ranked first), c has 1 (lost to a)
    Outcome("a", ["a", "b"], "answer", text="a1"),
    Outcome("a", ["a", "c"], "answer", text="a2"),
    Outcome("a", ["b", "x", "a"], "clarify", ["b", "x", "a"], text="a3"),
    Outcome("b", ["b"], "answer", text="b1"),
    Outcome("c", ["a", "c"], "answer", text="c1"),
    Outcome(None, ["b"], "answer", text="oos"),
]


def test_per_entry_precision_recall_f1_of_the_top1():
    rows = {r["id"]: r for r in per_entry(OUTCOMES, {"a": "问题A"})}
    a, b, c = rows["a"], rows["b"], rows["c"]
    # a: ranked first 3× (a1, a2, c1), right 2× → P 2/3; 3 queries, 2 found → R 2/3; F1 2/3
    assert (a["support"], a["precision"], a["recall"], a["f1"]) == (3, 0.6667, 0.6667, 0.6667)
    # b: ranked first for a3 and b1 (in scope) → P 1/2, R 1/1, F1 = 2·0.5·1/1.5
    assert (b["precision"], b["recall"], b["f1"]) == (0.5, 1.0, 0.6667)
    assert (c["precision"], c["recall"], c["f1"]) == (None, 0.0, None)
    assert a["question"] == "问题A" and a["answered_wrong"] == 1 and b["answered_wrong"] == 1  # c1; the oos
    assert a["clarify_offered"] == 1 and a["clarify_offered_right"] == 1 and b["clarify_offered_right"] == 0
    assert [q["text"] for q in a["worst_queries"]] == ["a3"] and a["worst_queries"][0]["rank"] == 3


def test_most_confused_pairs_are_directed_and_carry_example_queries():
    pairs = confused_pairs(OUTCOMES + [Outcome("c", ["a"], "fallback", text="c2")], {})
    assert pairs[0] == {"expected": "c", "expected_question": "", "got": "a", "got_question": "", "count": 2,
                        "answered_wrong": 1, "examples": ["c1", "c2"]}
    assert [(p["expected"], p["got"]) for p in pairs] == [("c", "a"), ("a", "b")]


def test_top_k_accuracy_counts_in_scope_queries_whose_entry_is_within_k():
    curve = top_k_accuracy(OUTCOMES, k_max=3)
    assert [p["accuracy"] for p in curve] == [0.6, 0.8, 1.0]  # 3 of 5 first; c1 second, a3 third


def test_gate_lists_every_broken_limit():
    result = {"accuracy_at_1": 0.79, "wrong_answer_rate": 0.06, "oos_recall": None}
    assert failures(result, {"accuracy_at_1": 0.8}, {"wrong_answer_rate": 0.05}) == [
        "accuracy_at_1 = 0.79 is below the gate 0.8", "wrong_answer_rate = 0.06 is above the gate 0.05"]
    assert failures(result, {"accuracy_at_1": 0.7}, {"wrong_answer_rate": 0.1}) == []
    assert "not measured" in failures(result, {"oos_recall": 0.5}, {})[0]


@pytest.mark.parametrize("spec", ["accuracy=0.8", "accuracy_at_1", "accuracy_at_1=high"])
def test_gate_refuses_a_limit_it_cannot_check(spec):
    with pytest.raises(GateSpecError, match="--fail-under"):
        parse_limits([spec], "--fail-under")
