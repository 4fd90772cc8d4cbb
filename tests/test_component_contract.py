"""Every component honours one contract: fit → predict → save → load gives identical output."""
import numpy as np
import pytest

from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker
from knowledge_base.bm25 import Bm25
from knowledge_base.dense_index import DenseIndex
from knowledge_base.retriever import Retriever
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter

TEXTS = ["怎么退货", "退货流程是什么", "运费怎么算", "邮费多少钱", "发票怎么开", "能开专票吗",
         "how do i reset my password", "where is my parcel"]
OWNERS = [0, 0, 1, 1, 2, 2, 3, 4]
QUERIES = ["退貨要運費嗎", "开发漂", "password reset", "快递"]
RNG = np.random.default_rng(0)
EMB = RNG.normal(size=(len(TEXTS), 8)).astype(np.float32)
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
QEMB = EMB[[0, 4, 6, 2]] + 0.1


def normalizer():
    return Normalizer().fit(TEXTS), lambda c: c.transform(QUERIES), lambda c, d: c.save(d), Normalizer.load


def segmenter():
    return (Segmenter().fit(["运费险"]), lambda c: [c.tokens(q) for q in QUERIES], lambda c, d: c.save(d),
            Segmenter.load)


def bm25():
    docs = [list(t) for t in TEXTS]
    return (Bm25().fit(docs), lambda c: c.scores(c.query_matrix([list(q) for q in QUERIES])),
            lambda c, d: c.save(d, "x"), lambda d: Bm25.load(d, "x"))


def sparse_index():
    seg = Segmenter().fit()
    return (SparseIndex(seg).fit(TEXTS), lambda c: c.scores(QUERIES), lambda c, d: c.save(d),
            lambda d: SparseIndex.load(d, seg))


def dense_index():
    return DenseIndex().fit(EMB), lambda c: c.scores(QEMB), lambda c, d: c.save(d), DenseIndex.load


class FixedEncoder:
    name = "fixed"

    def encode(self, texts):
        return QEMB[: len(texts)]


def retriever():
    seg = Segmenter().fit()
    r = Retriever(Normalizer(), seg, SparseIndex(seg), DenseIndex(), FixedEncoder()).fit(TEXTS, OWNERS, EMB)
    return (r, lambda c: c.score(QUERIES).channels, lambda c, d: c.save(d),
            lambda d: Retriever.load(d, Normalizer(), FixedEncoder()))


def _ranking_data():
    X = RNG.normal(size=(40, 5, 4)).astype(np.float32)
    y = (X[:, :, 0] > 0.5).ravel()
    return X, y


def fusion_ranker():
    X, y = _ranking_data()
    model = FusionRanker(5).fit(X.reshape(-1, 4), y)
    return model, lambda c: c.predict_proba(X), lambda c, d: c.save(d), FusionRanker.load


def confidence_model():
    X = RNG.normal(size=(60, 7)).astype(np.float32)
    model = ConfidenceModel().fit(X, X[:, 0] > 0, X[:, 0] > -0.5)
    return model, lambda c: c.predict(X), lambda c, d: c.save(d), ConfidenceModel.load


COMPONENTS = [normalizer, segmenter, bm25, sparse_index, dense_index, retriever, fusion_ranker, confidence_model]


def _same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)) and a and not isinstance(a[0], str):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("make", COMPONENTS, ids=lambda f: f.__name__)
def test_fit_predict_save_load_gives_identical_output(tmp_path, make):
    component, predict, save, load = make()
    before = predict(component)
    save(component, tmp_path / "c")
    _same(before, predict(load(tmp_path / "c")))


def test_unfitted_ranker_refuses_a_single_class():
    with pytest.raises(ValueError, match="both matching and non-matching"):
        FusionRanker().fit(np.zeros((4, 3)), np.zeros(4, bool))
