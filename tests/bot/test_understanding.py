"""What a customer notices: typos, traditional characters and full-width input still find the entry."""
import pytest

TYPO_TABLE = [
    # homophone typos (pinyin channel)
    ("退宽多久到账", "refund_progress"),
    ("怎么开发漂", "invoice_how"),
    ("忘记密马了怎么办", "account_forgot_password"),
    ("运废怎么算", "shipping_fee"),
    ("怎么取消定单", "order_cancel"),
    ("怎么申请推货", "return_how"),
    ("七填无理由退货规则", "return_7days"),
    ("怎么注消账号", "account_delete"),
    ("发票台头开错了", "invoice_title_change"),
    ("怎么查询物留信息", "shipping_tracking"),
    ("积份有什么用", "member_points"),
    ("怎么预约上门按装", "install_booking"),
    ("能用花被分期吗", "payment_installment"),
    ("保修期多酒", "warranty_policy"),
    # traditional characters
    ("怎麼申請退貨", "return_how"),
    ("發票抬頭開錯了怎麼改", "invoice_title_change"),
    ("帳號被盜了怎麼辦", "account_stolen"),
    ("客服電話是多少", "service_hotline"),
    ("物流資訊怎麼查", "shipping_tracking"),
    # full-width and noise
    ("ＰＬＵＳ会员怎么开通", "member_plus"),
    ("ｐｌｕｓ会员能退吗？？", "member_plus_cancel"),
    ("７天无理由退货怎么算", "return_7days"),
    ("快递到哪了😭😭😭", "shipping_tracking"),
    ("“运费险怎么赔”", "return_freight_insurance"),
]


@pytest.mark.parametrize("query, expected", TYPO_TABLE)
def test_typo_traditional_and_full_width_queries_find_their_entry(demo_bot, query, expected):
    reply = demo_bot.respond(query)
    assert reply.decision != "fallback", reply.text
    assert reply.candidates[0].id == expected


def test_vague_express_query_offers_shipping_options(demo_bot):
    reply = demo_bot.respond("快递")
    assert reply.decision == "clarify"
    assert 2 <= len(reply.options) <= 3
    assert all(demo_bot.kb[o.id].category.startswith("物流") for o in reply.options)
    assert reply.text.startswith("您是想问：\n1. ")


@pytest.mark.parametrize("query", ["今天天气怎么样", "帮我写一首诗", "推荐一部好看的电影"])
def test_unrelated_questions_fall_back(demo_bot, query):
    reply = demo_bot.respond(query)
    assert reply.decision == "fallback"
    assert "转人工" in reply.text


def test_clear_question_is_answered_with_related_questions(demo_bot):
    reply = demo_bot.respond("退款多久能到账啊")
    assert (reply.decision, reply.entry_id) == ("answer", "refund_progress")
    assert reply.text == demo_bot.kb["refund_progress"].answer_for()
    assert reply.related and all(demo_bot.kb.get(r.id) for r in reply.related)


def test_app_channel_gets_its_answer_variant(demo_bot):
    entry = next(e for e in demo_bot.kb if "app" in e.answer)
    reply = demo_bot.answer_entry(entry.id, channel="app")
    assert reply.text == entry.answer["app"] != entry.answer["default"]


def test_complaints_are_handed_to_a_human(demo_bot):
    reply = demo_bot.respond("我要投诉你们的快递员")
    assert reply.decision == "handoff" and reply.entry_id == "complaint"


def test_oversized_and_empty_messages_are_refused_politely(demo_bot):
    from bot.messages import message

    assert demo_bot.respond("退款" * 1000).text == message("too_long", "zh", limit=500)
    empty = demo_bot.respond("  😀 ")
    assert (empty.decision, empty.text) == ("fallback", message("empty", "zh"))


def test_a_bare_keyword_fitting_several_entries_is_asked_about_not_guessed():
    import numpy as np

    from bot.decision import Analysis, DecisionPolicy

    policy = DecisionPolicy(answer_threshold=0.8, clarify_threshold=0.4)

    def decided(proba, keyword=False):
        d = policy.decide(Analysis("快递", np.arange(3), np.array(proba), 0.99, 0.99, keyword=keyword))
        return d.kind, list(d.picked)

    close_second = [0.93, 0.19, 0.01]
    assert decided(close_second) == ("answer", [0])  # a question: confident enough
    assert decided(close_second, keyword=True) == ("clarify", [0, 1])
    assert decided([0.93, 0.05, 0.01], keyword=True) == ("answer", [0])


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def test_a_question_matching_a_kb_question_word_for_word_is_always_answered(demo_bot):
    """Every standard and similar question of every entry, as written, in traditional characters and in
    full-width: answered with that entry (never clarify or fallback), unless the entry hands off."""
    import opencc

    traditional = opencc.OpenCC("s2t")
    missed = []
    for entry in demo_bot.kb:
        for question in (entry.question, *entry.similar):
            for variant in {question, traditional.convert(question), _full_width(question)}:
                reply = demo_bot.respond(variant)
                if reply.decision not in ("answer", "handoff") or reply.entry_id != entry.id:
                    missed.append(f"{variant!r} → {reply.decision} {reply.entry_id} (expected {entry.id})")
    assert not missed, "\n".join(missed)


def test_below_the_answer_threshold_the_cheaper_of_answering_and_asking_is_chosen():
    """Options pay when the other candidates carry real probability; when the right entry is about as likely
    first as among the options, asking only costs a click."""
    import numpy as np

    from bot.decision import Analysis, DecisionPolicy

    policy = DecisionPolicy(answer_threshold=0.9, clarify_threshold=0.4, wrong_answer_cost=0.8, click_cost=0.25)

    def decided(answer, options):
        d = policy.decide(Analysis("优惠券怎么领", np.arange(3), np.array([0.9, 0.5, 0.2]), answer, options))
        return d.kind, d.way_out

    assert decided(0.80, 0.82) == ("answer", True)  # a wrong answer: 0.02 + 0.16 < a click 0.25
    assert decided(0.60, 0.95) == ("clarify", False)  # the second option is likely right: asking is cheaper
    assert decided(0.95, 0.97) == ("answer", False)  # above the answer threshold


def test_options_worth_a_click_are_offered_below_a_trained_clarify_threshold():
    """A click plus a miss when no option is right costs less than falling back once the options hold the answer
    more often than ``click_cost``: trained thresholds offer them from there; set or tuned ones are kept."""
    import numpy as np

    from bot.decision import Analysis, DecisionPolicy

    trained = DecisionPolicy(answer_threshold=0.9, clarify_threshold=0.6, click_cost=0.25, options_floor=0.25)

    def decided(policy, options):
        return policy.decide(Analysis("会员怎么退", np.arange(3), np.array([0.5, 0.4, 0.1]), 0.3, options)).kind

    assert decided(trained, 0.4) == "clarify"
    assert decided(trained, 0.2) == "fallback"
    assert decided(DecisionPolicy(answer_threshold=0.9, clarify_threshold=0.6, click_cost=0.25), 0.4) == "fallback"


def test_training_offers_options_from_the_click_cost_and_tuning_takes_the_tuned_threshold(demo_bot, tmp_path):
    import shutil

    from bot.artefact import update_thresholds
    from bot.engine import Bot

    t = demo_bot.manifest["thresholds"]
    assert t["options_floor"] == min(t["clarify"], t["click_cost"]) and demo_bot.policy.offer_from == t["options_floor"]
    shutil.copytree(demo_bot.folder, tmp_path / "bot")
    update_thresholds(tmp_path / "bot", {"answer": 0.8, "clarify": 0.5})
    assert Bot.load(tmp_path / "bot").policy.offer_from == 0.5
