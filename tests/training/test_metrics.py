from training.metrics import Outcome, report


def test_report_on_a_hand_computed_example():
    outcomes = [
        Outcome("a", ["a", "b"], "answer", latency_ms=10),                # answered right
        Outcome("b", ["a", "b", "c"], "answer", latency_ms=20),           # answered wrong (rank 2)
        Outcome("c", ["a", "c"], "clarify", ["a", "c"], latency_ms=30),   # clarified, hit (rank 2)
        Outcome("d", ["a", "b"], "fallback", latency_ms=40),              # fell back, not in top 5
        Outcome(None, ["a"], "answer", latency_ms=50),                    # answered an OOS: wrong
        Outcome(None, ["b"], "fallback", latency_ms=60),                  # correct fallback
    ]
    r = report(outcomes)
    assert r["n_queries"] == 6 and r["n_oos"] == 2
    assert r["accuracy_at_1"] == 0.25                     # 1 of 4 in-scope
    assert r["mrr_at_5"] == round((1 + 0.5 + 0.5 + 0) / 4, 4)
    assert r["recall_at_5"] == 0.75
    assert r["answered_correct"] == 0.25
    assert r["clarify_rate"] == 0.25 and r["clarify_hit"] == 0.25
    assert r["self_service_rate"] == 0.5
    assert r["wrong_answer_rate"] == round(2 / 6, 4)      # over all queries
    assert r["oos_precision"] == 0.5 and r["oos_recall"] == 0.5
    assert r["latency_ms_p50"] == 35.0


def test_handoff_on_the_right_entry_counts_as_answered():
    r = report([Outcome("a", ["a"], "handoff")])
    assert r["answered_correct"] == 1.0 and r["wrong_answer_rate"] == 0.0
