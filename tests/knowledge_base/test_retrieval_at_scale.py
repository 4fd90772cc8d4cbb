"""Large knowledge bases: approximate search finds what exact search finds, BM25 shortlists are exact,
and retraining after a small edit redoes only what changed."""
import json
from collections import Counter

import numpy as np
import pytest

from evals.synthetic import base_entries, question_stream
from knowledge_base.dense_index import DenseIndex
from knowledge_base.encoders import normalise
from knowledge_base.entry_scores import Exclusions
from knowledge_base.retriever import Retriever
from knowledge_base.shortlist import _best_entries
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter
from tests.conftest import DEMO
from tests.conftest import demo_queries

QUESTIONS = 3000


@pytest.fixture(scope="module")
def big_kb(demo_bot):
    """~3,000 questions: demo entries and their copies, 20 questions each (variants of the demo's own).
    A variant's vector is its source question's plus noise (cosine ≈ 0.95): nothing new to encode."""
    entries, sources = [], []
    for entry, origin in question_stream(base_entries([DEMO / "kb.yml"])):
        entries.append(entry)
        sources += origin
        if len(sources) >= QUESTIONS:
            break
    normalizer = Normalizer().fit()
    texts = normalizer.predict([q for e in entries for q in [e["question"], *e["similar"]]])
    owners = np.repeat(np.arange(len(entries)), [1 + len(e["similar"]) for e in entries])
    from knowledge_base.embedding_cache import EmbeddingCache

    source_vectors = EmbeddingCache.default(demo_bot.retriever.encoder).encode(normalizer.predict(sources))
    noise = np.random.default_rng(0).normal(scale=0.017, size=source_vectors.shape)
    vectors = np.where((np.array(texts) == np.array(normalizer.predict(sources)))[:, None], source_vectors,
                       normalise(source_vectors + noise))
    queries = [q["text"] for q in demo_queries()]
    prepared = normalizer.predict(queries)
    return texts, owners, vectors.astype(np.float32), prepared, demo_bot.retriever.encoder.encode(prepared)


def _retriever(big_kb, exact_below, kind="ivf"):
    texts, owners, vectors, _, _ = big_kb
    segmenter = Segmenter().fit()
    dense = DenseIndex(exact_below, kind)
    return Retriever(Normalizer().fit(), segmenter, SparseIndex(segmenter), dense, None, exact_below).fit(
        texts, owners, vectors)


def _top5(retriever, ranker, big_kb):
    *_, prepared, query_vectors = big_kb
    return ranker.predict(retriever.predict(prepared, query_vectors), retriever.counts_).entries[:, :5]


@pytest.fixture(scope="module")
def exact_top5(big_kb, demo_bot):
    return _top5(_retriever(big_kb, exact_below=10 ** 9), demo_bot.ranker, big_kb)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_offers_the_entries_exact_search_offers(big_kb, demo_bot, exact_top5, kind):
    approximate = _top5(_retriever(big_kb, exact_below=1000, kind=kind), demo_bot.ranker, big_kb)
    assert np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approximate, exact_top5)]) >= 0.98
    assert (approximate[:, 0] == exact_top5[:, 0]).mean() >= 0.97


def test_approximate_dense_index_finds_the_nearest_questions(big_kb):
    _, _, vectors, _, query_vectors = big_kb
    _, exact = DenseIndex().fit(vectors).search(query_vectors, 5)
    for kind in ("ivf", "hnsw"):
        index = DenseIndex(exact_below=1000, kind=kind).fit(vectors)
        assert not index.exact
        _, found = index.search(query_vectors, 5)
        assert np.mean([len(set(f) & set(e)) / 5 for f, e in zip(found, exact)]) >= 0.98


def _brute_force_bm25(docs, query, k1=1.2, b=0.75):
    """Okapi BM25 of every doc for one query, term by term, divided by the query's idf mass."""
    n, avg = len(docs), sum(len(d) for d in docs) / len(docs)
    idf = {t: np.log1p((n - df + 0.5) / (df + 0.5)) for t, df in Counter(t for d in docs for t in set(d)).items()}
    terms = set(query)
    mass = sum(idf[t] for t in terms if t in idf) + sum(t not in idf for t in terms) * max(idf.values())
    scores = []
    for doc in docs:
        tf = Counter(doc)
        scores.append(sum(idf[t] * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(doc) / avg))
                          for t in terms if tf[t]) / (mass or 1.0))
    return np.array(scores)


def test_bm25_scores_are_the_brute_force_okapi_scores(big_kb):
    texts, prepared = big_kb[0][:500], big_kb[3][:20]
    index = SparseIndex(Segmenter().fit()).fit(texts)
    docs, queries = index.analyse(texts), index.analyse(prepared)
    for channel, values in index.predict(prepared).items():
        for row, query in enumerate(queries[channel]):
            np.testing.assert_allclose(values[row], _brute_force_bm25(docs[channel], query), rtol=1e-5, atol=1e-7)


def test_bm25_shortlists_are_the_brute_force_best_entries(big_kb):
    retriever = _retriever(big_kb, exact_below=0)
    prepared = big_kb[3]
    every = _retriever(big_kb, exact_below=10 ** 9).predict(prepared, big_kb[4])
    hidden = Exclusions(entry=np.full(len(prepared), 3)).complete(len(prepared), retriever.n_entries_)
    scores = retriever.predict(prepared, big_kb[4], hidden)
    for channel in retriever.sparse.channels:
        reference = every.channels[channel].copy()
        reference[:, 3] = -np.inf
        np.testing.assert_allclose(scores.channels[channel][~scores.excluded],
                                   np.take_along_axis(every.channels[channel], scores.entries, 1)[~scores.excluded])
        best = _best_entries(retriever.entry_maxima(prepared, None, hidden.example, dense=False)[channel], hidden, 20)
        for row in range(len(prepared)):
            expected = np.sort(reference[row][reference[row] > 0])[::-1][:20]
            found = best[row][best[row] >= 0]
            np.testing.assert_allclose(np.sort(reference[row][found])[::-1], expected)
            assert set(found) <= set(scores.entries[row])


def test_retraining_the_sparse_index_scores_exactly_like_a_fresh_one(tmp_path):
    seg = Segmenter().fit()
    before = ["怎么退货", "退货流程是什么", "运费怎么算", "邮费多少钱", "发票怎么开"]
    after = ["运费怎么算", "怎么退货", "能开专票吗", "发票怎么开", "开发票要多久"]
    SparseIndex(seg).fit(before).save(tmp_path / "sparse")
    previous = SparseIndex.load(tmp_path / "sparse", seg, counts=True)
    reused = SparseIndex(seg).fit(after, previous, before)
    fresh = SparseIndex(seg).fit(after)
    queries = ["退货要运费吗", "开发漂", "专票"]
    for channel, values in fresh.predict(queries).items():
        np.testing.assert_allclose(reused.predict(queries)[channel], values, rtol=1e-6)


class RecordingEncoder:
    """The real encoder, remembering every text it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.name, self.seen = inner, inner.name, []

    def encode(self, texts):
        self.seen += list(texts)
        return self.inner.encode(texts)


def test_retraining_a_large_kb_after_a_small_edit_encodes_only_the_new_questions(tmp_path, monkeypatch, mini_kb):
    from bot.config import load_config
    from knowledge_base.loader import load_kb
    from training import trainer

    monkeypatch.setenv("FAQBOT_CACHE", str(tmp_path / "cache"))  # nothing encoded by earlier runs
    encoders = []
    make = trainer.make_encoder
    monkeypatch.setattr(trainer, "make_encoder", lambda *a: encoders.append(RecordingEncoder(make(*a))) or encoders[-1])
    config = load_config(overrides={"dense.index_exact_below": 20, "ranking.refit_after": 0.05,
                                    "chitchat": False})  # 48 questions, no small talk: large
    kb_text = mini_kb.read_text(encoding="utf-8")
    out = tmp_path / "model"
    trainer.train(load_kb(mini_kb), config, out, show_progress=False)
    assert "decision_models_reused_from" not in json.loads((out / "manifest.json").read_text())["training"]
    kb_questions = {q for e in load_kb(mini_kb) for q in e.questions}
    assert set(encoders[-1].seen) >= kb_questions

    mini_kb.write_text(kb_text + "  - {id: gift, question: 能开礼品卡吗, answer: 可以。}\n", encoding="utf-8")
    trainer.train(load_kb(mini_kb), config, out, show_progress=False)
    kb_questions = {q for e in load_kb(mini_kb) for q in e.questions}
    assert [t for t in encoders[-1].seen if t in kb_questions] == ["能开礼品卡吗"]
    assert json.loads((out / "manifest.json").read_text())["training"]["decision_models_reused_from"]

    more = "".join(f"  - {{id: extra{i}, question: 第{i}个新问题怎么办, answer: 好的。}}\n" for i in range(3))
    mini_kb.write_text(mini_kb.read_text(encoding="utf-8") + more, encoding="utf-8")
    trainer.train(load_kb(mini_kb), config, out, show_progress=False)  # 4 of 48 changed since fitted: refit
    assert "decision_models_reused_from" not in json.loads((out / "manifest.json").read_text())["training"]

