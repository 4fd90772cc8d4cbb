"""The negative-emotion scorer: angry, sad or afraid customers score high, ordinary questions low."""
import json
from pathlib import Path

import pytest

from handoff.emotion import DEFAULT_THRESHOLD, EmotionScorer

DEMO_QUERIES = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo" / "queries.jsonl"


@pytest.fixture(scope="module")
def scorer():
    return EmotionScorer.default()


@pytest.mark.parametrize("text", [
    "你们这什么垃圾服务，气死我了",
    "This is ridiculous, I've been waiting for two weeks!",
    "等了十天还没发货，骗子！",
    "再不退钱我就去12315投诉你们",
    "账号被盗了，我好害怕",
    "I'm furious, your support is useless.",
])
def test_clearly_negative_messages_reach_the_threshold(scorer, text):
    assert scorer.score(text) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("text", [
    "怎么开发票",
    "退款多久到账",
    "取消订单后钱什么时候退回",
    "投诉建议在哪里提交",
    "商品有质量问题可以换吗",
    "谢谢，问题解决了",
    "How do I reset my password?",
    "Can I cancel my order and get a refund?",
])
def test_ordinary_questions_stay_below_the_threshold(scorer, text):
    assert scorer.score(text) < DEFAULT_THRESHOLD


def test_stronger_feeling_scores_higher(scorer):
    assert scorer.score("气死我了！！！") > scorer.score("有点不满意") > scorer.score("怎么开发票")


def test_demo_questions_are_rarely_handed_off(scorer):
    texts = [json.loads(line)["text"] for line in DEMO_QUERIES.read_text(encoding="utf-8").splitlines()]
    flagged = [t for t in texts if scorer.score(t) >= DEFAULT_THRESHOLD]
    assert len(flagged) / len(texts) <= 0.06, flagged


@pytest.mark.parametrize("text", ["", "   ", "？？？", "😀", "a" * 5000, "退款" * 300])
def test_scores_are_probabilities_even_for_odd_input(scorer, text):
    assert 0.0 <= scorer.score(text) <= 1.0


def test_score_many_matches_score(scorer):
    texts = ["怎么开发票", "气死我了"]
    assert scorer.score_many(texts) == [scorer.score(t) for t in texts]


def test_default_is_built_once():
    assert EmotionScorer.default() is EmotionScorer.default()


def test_refit_and_reload_give_the_same_scores(tmp_path):
    texts = ["太差了 气死了", "垃圾服务", "怎么开发票", "谢谢"]
    fitted = EmotionScorer().fit(texts, [1, 1, 0, 0])
    fitted.save(tmp_path / "emotion.json")
    loaded = EmotionScorer.load(tmp_path / "emotion.json")
    assert loaded.score_many(texts) == pytest.approx(fitted.score_many(texts), abs=1e-3)


def test_unfitted_scorer_says_how_to_fix_it():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        EmotionScorer().score("你好")
