"""The terminal chat: numbers pick clarify options and related questions."""
import pytest

from bot.service.chat import ChatSession, run


def test_typing_a_number_picks_the_offered_option(demo_bot):
    session = ChatSession(demo_bot)
    first = session.send("快递")
    assert first.decision == "clarify"
    picked = session.send("2")
    assert (picked.decision, picked.entry_id) == ("answer", first.options[1].id)


def test_related_questions_can_be_picked_after_an_answer(demo_bot):
    session = ChatSession(demo_bot)
    answer = session.send("退款多久能到账啊")
    assert answer.related
    follow = session.send("1")
    assert follow.entry_id == answer.related[0].id


def test_a_scripted_conversation_in_the_terminal(demo_bot):
    inputs = iter(["快递", "1", "/quit"])
    printed = []
    run(demo_bot, read=lambda prompt: next(inputs), write=printed.append)
    assert "您是想问" in printed[1] and "1. " in printed[1]
    assert printed[2].startswith("机器人> ") and "您是想问" not in printed[2]


def test_a_follow_up_is_understood_in_the_context_of_the_last_answer(demo_bot):
    session = ChatSession(demo_bot)
    assert session.send("怎么申请退货").entry_id == "return_how"
    follow = session.send("那运费呢？")
    first = follow.entry_id or follow.options[0].id
    assert first == "return_shipping_fee"          # the return's shipping fee, not shipping fees in general
    assert ChatSession(demo_bot).send("那运费呢？").entry_id == "shipping_fee"  # without context


def test_the_terminal_chat_says_when_and_where_a_person_would_take_over(demo_bot):
    from bot.config import HandoffConfig
    from handoff.router import HandoffRouter

    inputs = iter(["我要投诉你们的快递员", "/quit"])
    printed = []
    run(demo_bot, read=lambda prompt: next(inputs), write=printed.append,
        router=HandoffRouter.for_bot(HandoffConfig(), demo_bot))
    assert "handed off to a human agent → complaints (rule complaint_or_legal)" in printed[1]


@pytest.mark.parametrize("topic, follow, entry", [("发票怎么开", "专票呢", "invoice_vat"),
                                                  ("积分怎么用", "会过期吗", "member_points_expire")])
def test_a_short_follow_up_without_its_subject_reaches_the_entry_next_to_the_topic(demo_bot, topic, follow, entry):
    session = ChatSession(demo_bot)
    session.send(topic)
    reply = session.send(follow)
    assert (reply.decision, reply.entry_id) == ("answer", entry)


def test_a_follow_up_is_never_answered_with_the_topic_it_moves_away_from(demo_bot):
    """"退货的运费谁出" then "那大概几天到账": the refund, not the return's postage again."""
    session = ChatSession(demo_bot)
    assert session.send("退货的运费谁出").entry_id == "return_shipping_fee"
    reply = session.send("那大概几天到账")
    assert reply.entry_id != "return_shipping_fee"
    assert "refund_progress" in [reply.entry_id, *(o.id for o in reply.options)]


@pytest.mark.parametrize("unrelated", ["qwertyuiop", "火星上的天气怎么样"])
def test_an_unrelated_message_after_an_answer_is_not_given_that_answer_again(demo_bot, unrelated):
    session = ChatSession(demo_bot)
    assert session.send("运费怎么算").entry_id == "shipping_fee"
    reply = session.send(unrelated)
    assert reply.entry_id != "shipping_fee" and reply.decision != "answer", (reply.decision, reply.entry_id)


def test_a_follow_up_worded_as_one_keeps_the_topic_when_nothing_else_fits(demo_bot):
    session = ChatSession(demo_bot)
    assert session.send("发货后还能改地址吗").entry_id == "shipping_address_after_ship"
    reply = session.send("要是已经发了呢")
    assert "shipping_address_after_ship" in [reply.entry_id, *(o.id for o in reply.options)]


def test_options_the_topic_narrows_to_one_related_entry_are_not_asked_about(demo_bot):
    """Alone, "退的钱去哪了" could be the refund's progress or where it goes; after the price-protection
    answer, only where it goes is related to the topic (the KB's 关联问题), so that is answered."""
    alone = ChatSession(demo_bot).send("退的钱去哪了")
    assert alone.decision == "clarify" and "refund_account" in [o.id for o in alone.options]
    session = ChatSession(demo_bot)
    assert session.send("能保价吗").entry_id == "price_protection"
    assert "refund_account" in demo_bot.kb["price_protection"].related
    reply = session.send("退的钱去哪了")
    assert (reply.decision, reply.entry_id) == ("answer", "refund_account")


def test_options_with_several_entries_related_to_the_topic_are_still_offered():
    import numpy as np

    from bot.decision import Analysis
    from bot.follow_up import narrowed

    a = Analysis("钱退到哪", np.array([7, 3, 5]), np.array([0.5, 0.4, 0.3]), 0.3, 0.7)
    assert narrowed(a, (0, 1, 2), related={3, 5}) is None
    assert narrowed(a, (0, 1, 2), related={9}) is None
    one = narrowed(a, (0, 1, 2), related={5, 9})
    assert one.narrowed and list(one.entries) == [5, 7, 3] and list(one.proba) == [0.3, 0.5, 0.4]


def test_a_bare_keyword_typed_again_is_asked_about_not_narrowed_by_the_topic(demo_bot):
    session = ChatSession(demo_bot)
    first = session.send("快递")
    assert first.decision == "clarify"
    session.send("1")
    again = session.send("快递")
    assert again.decision == "clarify", (again.decision, again.entry_id)
