"""The answer's confidence is a probability for the traffic (``ranking.traffic_oos_share``), not for the
training mix, which asks many held-out-entry questions so the models learn what off-topic looks like."""
import json

import numpy as np
import pytest

from tests.conftest import DEMO


def test_out_of_scope_rows_weigh_as_much_as_the_traffic_holds_them():
    from training.trainer import traffic_weights

    in_scope = np.array([True] * 60 + [False] * 40)
    w = traffic_weights(in_scope, 0.2)
    assert w[~in_scope].sum() / w.sum() == pytest.approx(0.2)
    assert (w[in_scope] == 1).all()


def test_a_traffic_with_fewer_off_topic_messages_reaches_the_precision_from_a_lower_confidence():
    from training.thresholds import lowest_threshold_with_precision

    rng = np.random.default_rng(0)
    confidence = rng.uniform(size=400)
    in_scope = rng.uniform(size=400) < 0.3 + 0.7 * confidence  # off-topic rows rank lower
    right = in_scope & (rng.uniform(size=400) < 0.5 + 0.5 * confidence)  # off-topic rows are never right
    weight = np.where(in_scope, 1.0, 0.3)
    as_mixed = lowest_threshold_with_precision(confidence, right, 0.9, 0.99)
    as_traffic = lowest_threshold_with_precision(confidence, right, 0.9, 0.99, weight)
    assert as_traffic < as_mixed
    answered = confidence >= as_traffic
    assert (right * weight)[answered].sum() / weight[answered].sum() >= 0.9


def test_a_team_whose_traffic_is_rarely_off_topic_gets_more_answers_from_the_same_kb(demo_config):
    """Trained for a traffic with 10 % off-topic messages instead of the training mix's 40 %, the demo bot
    answers more of the demo's questions rather than asking about them."""
    from dataclasses import replace

    from training.model_cache import train_cached

    texts = [json.loads(line)["text"] for line in (DEMO / "queries.jsonl").read_text(encoding="utf-8").splitlines()]

    def answered(share: float) -> int:
        config = replace(demo_config, ranking=replace(demo_config.ranking, traffic_oos_share=share))
        bot, _ = train_cached(DEMO / "kb.yml", config, show_progress=False)
        return sum(bot.decide(a).kind == "answer" for a in bot.analyse(texts))

    assert answered(0.1) > answered(0.4)
