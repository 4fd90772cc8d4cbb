"""Unknown-question mining over a message log with known clusters, on SQLite and PostgreSQL."""
import dataclasses
import json
import random
import time

import numpy as np
import pytest
from scipy import sparse
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import MiningConfig
from bot.reply import Option, Reply
from bot.store import ConversationStore
from tests.conftest import ROOT
from training import mining
from training.mining import ADD_SIMILAR, NEW_ENTRY, is_person_request, mine, unknown_messages

# Paraphrase groups, most asked first. Gift cards, pre-sale deposits and authenticity are not in the
# demo KB; the points questions are, under member_points ("积分可以兑换什么" is one of its own questions).
GIFT = ["礼品卡怎么用", "礼品卡怎么使用", "礼品卡余额怎么查", "礼品卡在哪里绑定", "怎么绑定礼品卡", "礼品卡怎么用"]
POINTS = ["积分怎么兑换礼品", "怎么用积分换东西", "积分可以兑换什么", "我的积分怎么花", "积分能换什么东西"]
DEPOSIT = ["预售定金能退吗", "付了定金不想要了能退吗", "预售定金能退吗", "定金可以退吗"]
GENUINE = ["你们卖的是正品吗", "是不是正品", "你们家是正品吗"]
GROUPS = [GIFT, POINTS, DEPOSIT, GENUINE]
NEVER_MINED = ["转人工", "人工客服", "2", "3", "/select:coupon_use", "优惠券为什么用不了", "怎么开发票", "运费怎么算"]
SETTINGS = MiningConfig(min_cluster_size=2, cluster_similarity=0.4, attach_score=0.55, representatives=5)


def _reply(decision, entry_id=None, options=()):
    return Reply(decision, f"({decision})", entry_id, options=[Option(o, o) for o in options], confidence=0.3)


def write_log(store: ConversationStore) -> None:
    """Sessions as the server writes them: customer message, bot reply, feedback on the reply."""
    n = 0

    def session(*turns):
        nonlocal n
        n += 1
        sid = f"s{n}"
        store.ensure_session(sid, "web")
        for text, reply, vote in turns:
            store.add_message(sid, "customer", text)
            bot_id = store.add_message(sid, "bot", reply.text, reply)
            if vote:
                store.add_feedback(sid, bot_id, *vote)
        return sid

    fallback = _reply("fallback")
    for text in GIFT[:4] + POINTS + DEPOSIT[:3] + GENUINE[:2]:
        session((text, fallback, None))
    session((GIFT[4], _reply("clarify", options=["coupon_use", "order_place"]), None))  # options ignored
    session((GIFT[5], _reply("answer", "coupon_use"), ("helpful", "no")))
    session((GENUINE[2], _reply("answer", "chat_praise"), ("helpful", "no")))
    # Answered, then the customer asked for a person: the question before "转人工" is what went unresolved.
    session((DEPOSIT[3], _reply("answer", "refund_progress"), None), ("转人工", _reply("handoff"), None))
    session(("人工客服", _reply("handoff"), None))  # nothing asked before it: nothing to mine
    # Options offered and picked ("2" and a button payload) are resolved; picks themselves never count.
    sid = session(("优惠券为什么用不了", _reply("clarify", options=["coupon_not_applicable", "coupon_use"]), None))
    clarify_id = store.history(sid)[-1]["id"]
    store.add_message(sid, "customer", "2")
    store.add_message(sid, "bot", "(answer)", _reply("answer", "coupon_use"))
    store.add_feedback(sid, clarify_id, "clarify_choice", "coupon_use")
    session(("/select:coupon_use", fallback, None), ("3", fallback, None))
    session(("怎么开发票", _reply("answer", "invoice_how"), ("helpful", "yes")), ("运费怎么算", _reply("answer",
                                                                                             "shipping_fee"), None))


@pytest.fixture(scope="module")
def store(store_url):
    store = ConversationStore(store_url)
    write_log(store)
    return store


@pytest.fixture(scope="module")
def clusters(store, demo_bot):
    return mine(unknown_messages(store), demo_bot, SETTINGS)


def members(cluster):
    return {text for text, _ in cluster.texts}


def test_unknown_messages_keep_every_unresolved_question_with_its_reason(store):
    found = unknown_messages(store)
    assert sorted(m.text for m in found) == sorted(t for group in GROUPS for t in group)
    reasons = {(m.text, m.reason) for m in found}
    assert (GIFT[4], "clarify_ignored") in reasons and (GIFT[5], "not_helpful") in reasons
    assert (DEPOSIT[3], "handed_off") in reasons and (POINTS[0], "fallback") in reasons
    assert not {m.text for m in found} & set(NEVER_MINED)


def test_unknown_messages_since_and_limit(store):
    assert unknown_messages(store, since=time.time() + 3600) == []
    newest = unknown_messages(store, limit=6)  # the newest 6 open replies: three were to picks or "人工客服"
    assert [m.text for m in newest] == [GIFT[5], GENUINE[2], DEPOSIT[3]]


def test_clusters_come_in_volume_order_and_never_mix_groups(clusters):
    assert [c.volume for c in clusters] == [len(g) for g in GROUPS]
    for cluster, group in zip(clusters, GROUPS):
        assert members(cluster) == set(group)
        assert cluster.examples == len(set(group)) and cluster.sessions == len(group)
        assert set(cluster.questions) <= set(group) and len(cluster.questions) == len(set(group))
    assert clusters[0].reasons == {"fallback": 4, "clarify_ignored": 1, "not_helpful": 1}
    assert clusters[2].reasons == {"fallback": 3, "handed_off": 1}


def test_uncovered_groups_are_new_entries_and_known_ones_extend_their_entry(clusters):
    gift, points, deposit, genuine = clusters
    for cluster in (gift, deposit, genuine):
        s = cluster.suggestion
        assert s.action == NEW_ENTRY and s.entry_id is None and s.score < SETTINGS.attach_score
        assert s.questions == tuple(cluster.questions)
    s = points.suggestion
    assert s.action == ADD_SIMILAR and s.entry_id == "member_points" and s.score >= SETTINGS.attach_score
    assert s.entry_question == "积分怎么获得和使用"
    assert "积分可以兑换什么" not in s.questions  # already one of the entry's questions
    assert set(s.questions) == set(POINTS) - {"积分可以兑换什么"}


def test_the_most_typical_question_comes_first(clusters):
    assert clusters[0].questions[0] == "礼品卡怎么用"  # asked twice, and central


def test_keys_and_order_are_stable_between_runs(store, demo_bot, clusters):
    found = unknown_messages(store)
    random.Random(7).shuffle(found)
    again = mine(found, demo_bot, SETTINGS)
    assert [c.key for c in again] == [c.key for c in clusters]
    assert [c.to_dict() for c in again] == [c.to_dict() for c in clusters]
    assert len({c.key for c in clusters}) == len(clusters)
    json.dumps([c.to_dict() for c in clusters], ensure_ascii=False)


def test_small_groups_are_not_suggested(store, demo_bot):
    strict = dataclasses.replace(SETTINGS, min_cluster_size=5)
    assert [c.volume for c in mine(unknown_messages(store), demo_bot, strict)] == [6, 5]


@pytest.mark.parametrize("text, pure", [
    ("转人工", True), ("人工客服", True), ("你好，请帮我转人工客服", True), ("I want to speak to a human agent", True),
    ("转人工 我的快递三天没动了", False), ("客服电话是多少", False), ("人工费怎么算", False), ("礼品卡怎么用", False),
])
def test_only_pure_requests_for_a_person_stand_for_the_question_before(text, pure):
    assert is_person_request(text) is pure


def test_without_an_encoder_character_ngrams_cluster(demo_bot):
    class NoEncoder:
        kb, analyse, decide = demo_bot.kb, demo_bot.analyse, demo_bot.decide
        retriever = type("R", (), {"prepare": staticmethod(demo_bot.retriever.prepare),
                                   "embed": staticmethod(lambda texts: None)})()

    found = [mining.UnknownMessage(n, f"s{n}", t, "fallback", float(n))
             for n, t in enumerate(GIFT + GENUINE, 1)]
    clusters = mine(found, NoEncoder(), dataclasses.replace(SETTINGS, cluster_similarity=0.2))
    assert clusters and all(members(c) <= set(GIFT) or members(c) <= set(GENUINE) for c in clusters)
    assert members(clusters[0]) <= set(GIFT)


def test_rare_texts_beyond_the_exact_limit_join_their_cluster(monkeypatch):
    rng = np.random.default_rng(0)
    centres = np.eye(3, 16, dtype=np.float32)
    vectors = np.vstack([c + 0.1 * rng.standard_normal((5, 16)).astype(np.float32) for c in centres])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(len(vectors))
    vectors = vectors[order]
    counts = np.ones(len(vectors))
    exact = mining._cluster(vectors, counts, 0.5)
    monkeypatch.setattr(mining, "FULL_LIMIT", 6)
    bounded = mining._cluster(vectors, counts, 0.5)
    assert len(set(exact)) == 3 and list(bounded) == list(exact)
    assert list(mining._cluster(sparse.csr_matrix(vectors), counts, 0.5)) == list(exact)  # TF-IDF stays sparse


runner = CliRunner()


def test_mine_command_prints_clusters_as_json(tmp_path, demo_bot):
    db = tmp_path / "log.sqlite3"
    write_log(ConversationStore(str(db)))
    out = tmp_path / "mined.json"
    result = runner.invoke(app, ["mine", "--db", str(db), "--config", str(ROOT / "config.yml"), "--since", "all",
                                 "--similarity", "0.4", "--top", "2", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["messages"] == sum(len(g) for g in GROUPS) and report["clusters_total"] == 4
    assert [c["volume"] for c in report["clusters"]] == [6, 5]
    assert report["clusters"][1]["suggestion"]["entry_id"] == "member_points"


def test_mine_command_reads_a_transcript_file(tmp_path, write, demo_bot):
    lines = write("chat.txt", "\n".join(GIFT + GENUINE + ["转人工", "2", "运费怎么算"]))
    result = runner.invoke(app, ["mine", "--transcripts", str(lines), "--config", str(ROOT / "config.yml"),
                                 "--similarity", "0.4"])
    assert result.exit_code == 0, result.output
    assert "→ 2 cluster(s)" in result.output and "礼品卡怎么用" in result.output and "new entry" in result.output
    assert "转人工" not in result.output and "运费怎么算" not in result.output
    assert "机器人没有解决" in result.output and "{" not in result.output  # reasons in words, no raw JSON


def test_mine_command_rejects_a_bad_since(tmp_path):
    result = runner.invoke(app, ["mine", "--db", str(tmp_path / "x.sqlite3"), "--since", "yesterday"])
    assert result.exit_code == 2 and "since" in result.output


# Suggestions that would hurt (issue 19): each group is mined on its own, as customers said it.
HARMFUL = {
    "vague keyword": ["快递", "快递", "快递。", "快 递"],  # the bot asks which delivery entry on purpose
    "known wording": ["积分可以兑换什么", "積分可以兌換什麼？", "积分 可以兑换什么！", "ＰＬＵＳ会员多少钱一年"],
}
BARGAIN = ["能便宜点吗", "可以便宜点吗", "能便宜一点吗", "能不能便宜点"]  # not price protection (买完降价)
ADDRESS = ["我要修改地址", "我地址弄错了", "我要改下地址", "地址写错了想改一下"]  # the bot is unsure; an entry covers it


def _mined(texts, demo_bot, reason="clarify_ignored"):
    found = [mining.UnknownMessage(n, f"s{n}", t, reason, float(n)) for n, t in enumerate(texts, 1)]
    return mine(found, demo_bot, dataclasses.replace(SETTINGS, min_cluster_size=1))


@pytest.mark.parametrize("case", sorted(HARMFUL))
def test_vague_keywords_and_wordings_the_kb_has_are_never_suggested(case, demo_bot):
    suggested = {q for c in _mined(HARMFUL[case], demo_bot) for q in c.suggestion.questions}
    assert not suggested & set(HARMFUL[case])


def test_a_question_of_another_meaning_is_not_added_to_the_entry_the_bot_leans_to(demo_bot):
    [answer] = demo_bot.analyse(BARGAIN[:1])
    assert demo_bot.entry_ids(answer)[0] == "price_protection"  # what the bot alone would do
    clusters = _mined(BARGAIN, demo_bot, "not_helpful")
    assert clusters and all(c.suggestion.action == NEW_ENTRY for c in clusters)
    assert clusters[0].suggestion.closest_entry == "price_protection"


def test_a_cluster_an_entry_covers_extends_it_instead_of_becoming_a_new_entry(demo_bot):
    clusters = _mined(ADDRESS, demo_bot, "fallback")
    assert [c.suggestion.action for c in clusters] == [ADD_SIMILAR]
    assert clusters[0].suggestion.entry_id == "address_modify_before_ship"
    assert set(clusters[0].suggestion.questions) <= set(ADDRESS)
