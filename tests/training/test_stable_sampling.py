"""What training makes up from each question (held-out samples, typos, rewordings, chatter) depends on
that question alone: adding a question to one entry leaves every other question's copies as they were."""
from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.text import Segmenter
from training import pseudo_queries
from training.perturb import Perturber
from training.thresholds import on_grid

QUESTIONS = ["怎么申请退货", "退货流程是什么", "怎么开发票", "发票怎么开", "快递多久能到", "运费怎么算", "怎么修改地址",
             "会员积分怎么用", "优惠券在哪里领", "支付失败怎么办"] * 3
QUESTIONS = [f"{q}{i}" for i, q in enumerate(QUESTIONS)]


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter().fit()


@pytest.mark.parametrize("method", ["reword", "typo", "chatter"])
def test_a_question_is_perturbed_the_same_whatever_was_perturbed_before(segmenter, method):
    alone = getattr(Perturber(segmenter, seed=13), method)("我想问一下怎么申请退货")
    after_others = Perturber(segmenter, seed=13)
    for text in QUESTIONS:
        getattr(after_others, method)(text)

    assert getattr(after_others, method)("我想问一下怎么申请退货") == alone


def test_some_questions_are_told_after_a_long_story_as_customers_write_them(segmenter):
    """Confidence is calibrated on messages like customers' (issue 25): a long story before the question too."""
    questions = QUESTIONS + [f"能退货吗{i}" for i in range(80)]
    chattered = {q: Perturber(segmenter, seed=13).chatter(q) for q in questions}
    long = {q: c for q, c in chattered.items() if len(c) >= 40}
    assert 0.1 < len(long) / len(chattered) < 0.5
    assert all(q in c for q, c in long.items())


def test_the_sample_of_a_kb_with_one_more_question_keeps_the_other_questions(segmenter):
    before = set(np.array(QUESTIONS)[pseudo_queries.sample_examples(QUESTIONS, 20, seed=13)])
    grown = QUESTIONS + ["报销凭证咋弄"]
    after = set(np.array(grown)[pseudo_queries.sample_examples(grown, 20, seed=13)])

    assert len(before) == len(after) == 20
    assert len(before - after) <= 1  # at most the question the new one displaced


def test_out_of_scope_rows_are_kept_by_their_own_text():
    in_scope = np.array([True] * 30 + [False] * 30)
    texts = [f"q{i}" for i in range(60)]
    kept = pseudo_queries._balanced(in_scope, texts, 0.25, seed=13)
    grown = pseudo_queries._balanced(np.append(in_scope, False), texts + ["new"], 0.25, seed=13)

    assert kept[:30].all() and kept.sum() == 40
    assert (kept[30:] != grown[30:60]).sum() <= 1


@pytest.mark.parametrize("raw, expected", [(0.8109, 0.82), (0.8147, 0.82), (0.82, 0.82), (0.3976, 0.40),
                                           (0.995, 0.99)])
def test_automatic_thresholds_are_rounded_up_to_a_grid(raw, expected):
    assert on_grid(raw) == pytest.approx(expected)

