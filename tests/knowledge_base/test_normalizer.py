import pytest

from knowledge_base.text import Normalizer

CASES = [
    ("ＡＢＣ１２３", "abc123"),                 # full-width → half-width, case folded
    ("請問怎麼退貨", "请问怎么退货"),           # traditional → simplified
    ("退款！！！？？？", "退款!?"),              # runs of punctuation collapse
    ("快递😡😡到哪了", "快递 到哪了"),          # emoji removed
    ("'我的微信里面怎么没有微粒贷呢", "我的微信里面怎么没有微粒贷呢"),  # stray quote (BQ data)
    ("退\x00款\u200b进度", "退 款 进度"),       # control and zero-width characters
    ("  Where   is MY order?? ", "where is my order?"),
    ("", ""),
]


@pytest.mark.parametrize("raw, expected", CASES)
def test_normalisation_table(raw, expected):
    assert Normalizer().fit().predict([raw]) == [expected]


def test_traditional_conversion_can_be_switched_off():
    assert Normalizer(traditional_to_simplified=False).fit().predict(["發票"]) == ["發票"]


def test_none_and_non_text_do_not_crash():
    assert Normalizer().fit().predict([None, 123]) == ["", "123"]
