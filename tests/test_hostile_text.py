"""Whatever customers type — any Unicode, control characters, emoji, very long text — normalisation,
segmentation and the whole reply path answer without crashing (hypothesis property tests)."""
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.http.app import create_app
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


@pytest.mark.parametrize("text", ["啊" * 100_000, "\x00" * 5000, "😀" * 3000, " " * 10_000, "1" * 9999])
def test_very_long_or_strange_messages_are_answered_or_refused_politely(demo_bot, text):
    client = TestClient(create_app(demo_bot, ConversationStore()))
    response = client.post("/api/messages", json={"session_id": "hostile", "text": text})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["text"]


def test_half_a_surrogate_pair_over_http_is_refused_politely_not_a_server_error(demo_bot):
    client = TestClient(create_app(demo_bot, ConversationStore()))
    reply = client.post("/api/messages", content='{"session_id": "sur", "text": "\\ud800运费怎么算\\udfff"}',
                        headers={"content-type": "application/json"})
    assert reply.status_code == 422 and reply.json()["detail"]
