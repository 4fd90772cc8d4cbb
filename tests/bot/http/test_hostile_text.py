"""Whatever customers type — any Unicode, control characters, emoji, very long text — normalisation,
segmentation and the whole reply path answer without crashing (hypothesis property tests)."""
import json
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.http.app import create_app
from bot.http.schemas import MAX_TEXT
from bot.store import ConversationStore

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
TRICKY = st.sampled_from(["\x00", "\u200b", "\ufeff", "\u202e", "\ud7ff", "𠀀", "👩‍👩‍👧", "ｆｕｌｌ", "\r\n\t",
                          "\\u0000", "%00", "<script>", "'; DROP TABLE messages;--", "轉人工", "1" * 40])
MIXED = st.lists(st.one_of(ANY_TEXT, TRICKY), max_size=8).map("".join)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(MIXED)
def test_normalisation_and_segmentation_never_crash(demo_bot, text):
    retriever = demo_bot.retriever
    [normalised] = retriever.prepare([text])
    assert isinstance(normalised, str)
    assert all(isinstance(w, str) for w in retriever.segmenter.predict(normalised))
    retriever.sparse.analyse([normalised])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MIXED)
def test_the_bot_answers_anything(demo_bot, text):
    reply = demo_bot.respond(text)
    assert reply.decision in ("answer", "clarify", "fallback", "handoff") and reply.text


@pytest.fixture(scope="module")
def client(demo_bot):
    return TestClient(create_app(demo_bot, ConversationStore()))


def _send(client, text):
    return client.post("/api/messages", json={"session_id": f"hostile-{uuid.uuid4().hex[:8]}", "text": text})


@pytest.mark.parametrize("text", ["\x00" * 5000, "😀" * 3000, " " * 10_000, "1" * 9999, "\u200b" * 800])
def test_very_long_or_strange_messages_under_the_request_limit_get_a_polite_reply(client, demo_bot, text):
    response = _send(client, text)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["text"] and reply["decision"] in ("answer", "clarify", "fallback", "handoff")
    visible = "".join(ch for ch in text if ch.isprintable()).strip()  # NUL, zero-width and spaces are dropped
    if len(visible) > demo_bot.max_chars:
        assert f"最多 {demo_bot.max_chars} 个字" in reply["text"]  # told why, with the limit


def test_a_message_over_ten_thousand_characters_is_refused_with_422_and_at_the_limit_accepted(client):
    assert _send(client, "啊" * MAX_TEXT).status_code == 200
    for text in ("啊" * (MAX_TEXT + 1), "啊" * 100_000):
        refused = _send(client, text)
        assert refused.status_code == 422 and "10000" in json.dumps(refused.json()["detail"])


def test_max_message_chars_is_the_longest_message_the_bot_reads(client, demo_bot):
    limit = demo_bot.max_chars  # text.max_message_chars in config.yml
    question = "退款多久到账"
    at_limit = _send(client, question + "啊" * (limit - len(question))).json()
    assert "太长" not in at_limit["text"]  # read and understood as a question
    over = _send(client, question + "啊" * (limit + 1 - len(question))).json()
    assert over["decision"] == "fallback" and f"最多 {limit} 个字" in over["text"]


def test_half_a_surrogate_pair_over_http_is_refused_politely_not_a_server_error(client):
    reply = client.post("/api/messages", content='{"session_id": "sur", "text": "\\ud800运费怎么算\\udfff"}',
                        headers={"content-type": "application/json"})
    assert reply.status_code == 422 and reply.json()["detail"]
