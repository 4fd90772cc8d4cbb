"""Homophone typos (an IME's wrong character of the right sound) are read as the KB's word they sound like."""
from knowledge_base.text.homophones import HomophoneFixer

KB_WORDS = ["退货", "积分", "物流", "下午", "今天", "推款", "退款"]
KNOWN = {"退货", "积分", "物流", "下午", "今天", "退款", "惊天", "查下", "我想", "怎么弄"}
PIECES = {"我想推货怎么弄": ["我想", "推货", "怎么弄"], "积份": ["积份"], "查下物六": ["查下", "物", "六"],
          "惊天能到吗": ["惊天", "能", "到", "吗"], "推祸": ["推祸"], "退宽": ["退宽"]}


def fixer():
    return HomophoneFixer(KB_WORDS, KNOWN.__contains__, lambda text: PIECES.get(text, list(text)))


def test_a_piece_that_is_no_word_but_sounds_like_a_kb_word_is_that_word():
    assert fixer().fix("我想推货怎么弄") == "我想退货怎么弄"
    assert fixer().fix("积份") == "积分"


def test_the_typo_trainers_added_as_a_similar_question_does_not_hide_the_word_it_sounds_like():
    assert fixer().fix("退宽") == "退款"  # 推款 sounds the same but is no word


def test_known_words_pieces_of_words_and_wholly_other_characters_are_left_alone():
    assert fixer().fix("惊天能到吗") == "惊天能到吗"  # a word of its own, though it sounds like 今天 to an IME
    assert fixer().fix("查下物六") == "查下物六"  # 下物 is half of two pieces, not a typo of 下午
    assert fixer().fix("推祸") == "推祸"  # no character of 退货: not one mistyped syllable


def test_a_customers_homophone_typo_is_answered_as_the_word_meant(demo_bot):
    for text, entry in [("怎么申请推货", "return_how"), ("我的积份能换什么", "member_points")]:
        reply = demo_bot.respond(text)
        assert (reply.decision, reply.entry_id) == ("answer", entry), text
