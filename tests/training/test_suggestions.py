"""Suggestions from traffic reach the draft in one step: mined clusters of unanswered questions and
questions learned from clicks are listed by volume, accepted into the draft (or rejected for good),
and a new run keeps decided ones decided."""
import uuid

import pytest

from bot.service.conversations import Conversations
from knowledge_base.errors import Conflict
from tests.conftest import started_workbench

GIFT_CARDS = ["礼品卡怎么绑定到账户", "礼品卡如何绑定账号", "怎么绑定礼品卡", "礼品卡绑定在哪里操作"]
LIVE_STREAM = ["直播间的抽奖什么时候开奖", "直播间抽奖几点开奖"]  # nothing in the demo shop answers them


@pytest.fixture(scope="module")
def bench(store_url, tmp_path_factory):
    bench, bot = started_workbench(store_url, tmp_path_factory.mktemp("workbench"))
    service = Conversations(bot, bench.store)
    for questions, times in ((GIFT_CARDS, 2), (LIVE_STREAM, 1)):
        for _ in range(times):
            for text in questions:
                reply = service.handle("s-" + uuid.uuid4().hex[:10], text)
                assert reply["decision"] in ("fallback", "clarify"), (text, reply)
    for _ in range(bench.config.curation.suggest_after):
        session = "c-" + uuid.uuid4().hex[:10]
        assert service.handle(session, "快递")["decision"] == "clarify"
        service.handle(session, "1")
    bench.counts = bench.mine(bot)
    bench.listed = bench.suggestions.list()  # as a trainer sees it after this run, before anyone decides
    return bench


def test_mined_and_learned_suggestions_are_listed_by_volume(bench):
    assert bench.counts["mined"] >= 2 and bench.counts["learned"] == 1
    listed = bench.listed
    mined = [s for s in listed if s["kind"] == "mined"]
    assert set(mined[0]["questions"]) <= set(GIFT_CARDS) and mined[0]["volume"] == 2 * len(GIFT_CARDS)
    assert any(set(s["questions"]) <= set(LIVE_STREAM) for s in mined[1:])
    [learned] = [s for s in listed if s["kind"] == "learned"]
    assert learned["questions"] == ["快递"] and learned["action"] == "add_similar" and learned["volume"] == 5


def test_accepting_a_new_entry_with_its_answer_puts_it_into_the_draft_once(bench):
    gift = next(s for s in bench.suggestions.list() if set(s["questions"]) <= set(GIFT_CARDS))
    entry = bench.suggestions.accept(gift["id"], "alice", answer="在「我的-礼品卡」输入卡密即可绑定。",
                                     new_id="gift_card_bind")
    assert entry["id"] == "gift_card_bind" and entry["status"] == "published"
    assert [entry["question"], *entry["similar"]] == gift["questions"]
    with pytest.raises(Conflict, match="already accepted by alice"):
        bench.suggestions.accept(gift["id"], "bob")
    assert bench.audit(limit=2)[0]["action"] == "suggestion.accept"


def test_accepting_a_learned_question_adds_it_to_the_clicked_entry(bench):
    learned = next(s for s in bench.suggestions.list() if s["kind"] == "learned")
    entry = bench.suggestions.accept(learned["id"], "alice")
    assert entry["id"] == learned["entry_id"] and "快递" in entry["similar"]


def test_a_rejected_suggestion_does_not_come_back_when_mining_runs_again(bench):
    live = next(s for s in bench.suggestions.list() if set(s["questions"]) <= set(LIVE_STREAM))
    bench.suggestions.reject(live["id"], "alice")
    bench.mine(bench.publisher.load(bench.publisher.live()))
    assert all(s["key"] != live["key"] for s in bench.suggestions.list())
    assert [s["key"] for s in bench.suggestions.list("rejected")] == [live["key"]]
