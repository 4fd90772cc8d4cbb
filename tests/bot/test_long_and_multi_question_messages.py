"""Real customer messages (issue 25): order numbers in the text, long stories around one question,
several questions in one message — understood, answered, and the numbers kept for the agent."""
import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base.text import Normalizer
from knowledge_base.text.clauses import split_clauses
from knowledge_base.text.entities import Entity, find_entities

STORY = ("上个月在你们这给女儿买了一件羽绒服，穿了两次觉得颜色不太喜欢，吊牌都还在，也没洗过，快递盒子还留着，"
         "我想问一下退货运费谁出")
TWO_QUESTIONS = "保修多久 客服电话多少"


@pytest.fixture(scope="module")
def client(demo_bot, tmp_path_factory):
    store = ConversationStore(str(tmp_path_factory.mktemp('long') / 'store.db'))
    with TestClient(create_app(demo_bot, store)) as c:
        yield c


def test_order_numbers_full_width_or_not_are_matched_as_one_placeholder_and_kept_as_entities():
    normalise = Normalizer().fit().predict
    assert normalise(["单号１２３４５６７８９０１２"]) == normalise(["单号 998877665544"]) == ["单号 #"]
    assert find_entities("单号１２３４５６７８９０１２ 到哪了") == (Entity("number", "123456789012"),)
    assert find_entities("手机 138-1234-5678，快递单号SF1234567890") == (
        Entity("phone", "13812345678"), Entity("tracking_number", "SF1234567890"))
    assert normalise(["我要去12315举报你们 买的时候3299"]) == ["我要去12315举报你们 买的时候3299"]  # short numbers are words


def test_a_pasted_order_card_is_kept_as_entities_and_not_matched():
    text = "订单编号: 2025031812 ，订单金额:￥59 ，下单时间: 2025-03-18 你好 什么时候发货"
    assert "订单" not in Normalizer().fit().predict([text])[0]
    assert [e.kind for e in find_entities(text)] == ["order_field", "amount", "date"]


def test_an_identifiers_label_is_not_matched_but_its_kind_and_the_question_are():
    """"订单号 3021887765 退款到哪一步了" asks about the refund: the label only names the number."""
    normalise = Normalizer().fit().predict
    assert normalise(["订单号 3021887765 退款到哪一步了", "快递单号：SF1234567890 怎么还没到", "降价了 订单号:"]) == [
        "# 退款到哪一步了", "快递 # 怎么还没到", "降价了"]
    assert normalise(["订单号在哪里看", "单号１２３４５６７８９０１２"]) == ["订单号在哪里看", "单号 #"]  # a question, a bare number
    assert find_entities("订单号 3021887765 退款到哪一步了") == (Entity("number", "3021887765"),)


def test_clauses_are_cut_at_punctuation_spaces_and_words_opening_another_question():
    assert split_clauses("怎么开专票 顺便问下几天能发货") == ["怎么开专票", "几天能发货"]
    assert split_clauses("订单怎么取消?取消了钱多久退回来") == ["订单怎么取消", "取消了钱多久退回来"]
    assert split_clauses("还有货吗") == ["还有货吗"]


def test_a_message_with_an_order_number_is_answered(demo_bot):
    reply = demo_bot.respond("帮我看看 2025031899887766 到哪了")
    assert (reply.decision, reply.entry_id) == ("answer", "shipping_tracking")


def test_a_long_story_is_answered_with_the_entry_its_question_asks(demo_bot):
    reply = demo_bot.respond(STORY)
    assert (reply.decision, reply.entry_id, reply.parts) == ("answer", "return_shipping_fee", [])


def test_two_questions_in_one_message_get_both_answers_each_labelled(demo_bot):
    reply = demo_bot.respond(TWO_QUESTIONS)
    assert reply.decision == "answer" and [p.entry_id for p in reply.parts] == ["warranty_policy", "service_hotline"]
    first, second = reply.text.split("\n")
    assert first.startswith("1. 关于「商品保修期多久」：") and second.startswith("2. 关于「客服电话是多少」：")
    assert "answered 2 questions" in reply.reasons[0]


def test_a_plain_short_question_gets_one_answer(demo_bot):
    reply = demo_bot.respond("运费怎么算")
    assert (reply.decision, reply.entry_id, reply.parts) == ("answer", "shipping_fee", [])


def test_the_widget_json_carries_the_parts_and_the_topic_is_the_last_question(client):
    body = client.post("/api/messages", json={"session_id": "multi", "text": TWO_QUESTIONS}).json()
    assert [p["entry_id"] for p in body["parts"]] == ["warranty_policy", "service_hotline"]
    assert body["text"] == "\n".join(p["text"] for p in body["parts"]) and body["entry_id"] == "service_hotline"


def test_rasa_rest_sends_one_message_per_question(client):
    replies = client.post("/webhooks/rest/webhook", json={"sender": "multi", "message": TWO_QUESTIONS}).json()
    assert [r["text"][:2] for r in replies] == ["1.", "2."] and "保修" in replies[0]["text"]


def test_the_numbers_a_customer_gave_reach_the_hand_off_packet(client):
    first = client.post("/api/messages", json={"session_id": "numbers", "text": "订单号 3021887765 退款到哪一步了"})
    reply = client.post("/api/messages", json={"session_id": "numbers", "text": "转人工"},
                        headers={"X-Session-Token": first.json()["session_token"]}).json()
    assert reply["decision"] == "handoff"
    desk = client.app.state.conversations.desk
    packet = desk.handoff(reply["handoff"]["handoff_id"])["packet"]
    assert {"kind": "number", "value": "3021887765"} in packet["entities"]
