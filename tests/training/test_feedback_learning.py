"""Customers' clarify clicks and helpful votes become suggested similar questions (SQLite and PostgreSQL)."""
import time
import uuid

import pytest

from bot.config import CurationConfig
from bot.service.conversations import Conversations
from bot.store import ConversationStore
from tests.conftest import wait_until
from training.feedback_learning import learned_questions

SUGGEST_AFTER = CurationConfig().suggest_after  # 5


@pytest.fixture(scope="module")
def service(store_url, demo_bot):
    return Conversations(demo_bot, ConversationStore(store_url))


@pytest.fixture
def since():
    """A moment after all feedback from earlier tests on the same database (which is then not counted) and
    at or before all of this test's (feedback counts from ``since`` on)."""
    earlier = time.time()
    return wait_until(lambda: (now := time.time()) > earlier and now, 5, "the clock moves past earlier feedback")


def session() -> str:
    return "learn-" + uuid.uuid4().hex[:12]


def pick_first_option(service, session_id: str, text: str) -> str:
    """Ask ``text``, get options, type "1"; the id of the picked entry."""
    clarify = service.handle(session_id, text)
    assert clarify["decision"] == "clarify", clarify
    answer = service.handle(session_id, "1")
    assert answer["entry_id"] == clarify["options"][0]["id"]
    return answer["entry_id"]


def vote_helpful(service, session_id: str, text: str) -> str:
    answer = service.handle(session_id, text)
    assert answer["decision"] == "answer", answer
    service.store.add_feedback(session_id, answer["message_id"], "helpful", "yes")
    return answer["entry_id"]


def test_picks_in_fewer_sessions_than_the_threshold_suggest_nothing(service, since):
    for _ in range(SUGGEST_AFTER - 1):
        pick_first_option(service, session(), "快递")
    assert learned_questions(service.store, service.bot.kb, SUGGEST_AFTER, since) == []


def test_picks_in_enough_sessions_suggest_the_question_for_the_picked_entry(service, since):
    picked = {pick_first_option(service, session(), "快递") for _ in range(SUGGEST_AFTER)}
    assert len(picked) == 1
    [learned] = learned_questions(service.store, service.bot.kb, SUGGEST_AFTER, since)
    assert (learned.text, learned.entry_id) == ("快递", picked.pop())
    assert (learned.sessions, learned.clicks, learned.helpful_votes) == (SUGGEST_AFTER, SUGGEST_AFTER, 0)
    assert learned.to_dict()["key"] == learned.key and len(learned.key) == 40


def test_many_picks_in_one_session_count_once(service, since):
    solo = session()
    for _ in range(SUGGEST_AFTER):
        pick_first_option(service, solo, "快递")
    assert learned_questions(service.store, service.bot.kb, SUGGEST_AFTER, since) == []
    [learned] = learned_questions(service.store, service.bot.kb, 1, since)
    assert (learned.text, learned.sessions, learned.clicks) == ("快递", 1, SUGGEST_AFTER)


def test_helpful_votes_count_and_the_option_typed_is_never_the_question(service, since):
    entry = {vote_helpful(service, session(), "包裹到哪了") for _ in range(SUGGEST_AFTER)}
    picker = session()
    pick_first_option(service, picker, "快递")
    clarify_answer = service.store.history(picker)[-1]
    service.store.add_feedback(picker, clarify_answer["id"], "helpful", "yes")  # a vote on the picked answer
    learned = learned_questions(service.store, service.bot.kb, 1, since)
    assert [q.text for q in learned] == ["包裹到哪了", "快递"]  # "1" is an option number, not a question
    assert (learned[0].entry_id, learned[0].sessions, learned[0].helpful_votes) == (entry.pop(), SUGGEST_AFTER,
                                                                                   SUGGEST_AFTER)


def test_a_text_already_a_similar_question_is_not_suggested(service, since):
    assert "快递到哪里了" in service.bot.kb["shipping_tracking"].similar
    for _ in range(SUGGEST_AFTER):
        vote_helpful(service, session(), "快递到哪里了？")  # the same question once normalised
    assert learned_questions(service.store, service.bot.kb, SUGGEST_AFTER, since) == []


def test_unhelpful_votes_and_old_feedback_are_ignored(service, since):
    for _ in range(SUGGEST_AFTER):
        sid = session()
        answer = service.handle(sid, "包裹到哪了")
        service.store.add_feedback(sid, answer["message_id"], "helpful", "no")
    assert learned_questions(service.store, service.bot.kb, 1, since) == []
    assert learned_questions(service.store, service.bot.kb, 1, time.time() + 60) == []


def test_a_learned_question_never_shows_the_customers_phone_number(service, since):
    entries = {vote_helpful(service, session(), "退款多久到账 我手机13812345678") for _ in range(SUGGEST_AFTER)}
    [learned] = learned_questions(service.store, service.bot.kb, SUGGEST_AFTER, since)
    assert learned.entry_id == entries.pop() and "13812345678" not in learned.text and "退款多久到账" in learned.text
