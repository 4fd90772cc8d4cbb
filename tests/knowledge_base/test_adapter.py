"""The contrastive adapter: it learns the KB's own paraphrases, repeats itself, and loads back exactly."""
import numpy as np
import pytest

from knowledge_base.adapter import ContrastiveAdapter
from knowledge_base.encoders import normalise

ENTRIES, PER_ENTRY, DIM = 24, 6, 48


def confusing_kb(seed: int = 0):
    """Questions of 24 entries in 4 topics, as a frozen encoder sees them: mostly the topic and the
    wording (noise shared by no one), the entry itself only faintly — paraphrases of one entry are
    barely nearer each other than the topic's other entries' questions."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(4, DIM))
    entries = rng.normal(size=(ENTRIES, DIM))
    owners = np.repeat(np.arange(ENTRIES), PER_ENTRY)
    vectors = 3.0 * topics[owners % 4] + 0.9 * entries[owners] + 1.3 * rng.normal(size=(len(owners), DIM))
    return normalise(vectors.astype(np.float32)), owners


def nearest_question_accuracy(vectors, owners, asked, known):
    """Each asked question finds its entry through its nearest known question."""
    nearest = (vectors[asked] @ vectors[known].T).argmax(axis=1)
    return float((owners[known][nearest] == owners[asked]).mean())


def test_paraphrases_the_frozen_vectors_confuse_rank_better_through_the_adapter():
    vectors, owners = confusing_kb()
    asked = np.flatnonzero(np.arange(len(owners)) % PER_ENTRY == PER_ENTRY - 1)  # never learned from
    known = np.setdiff1d(np.arange(len(owners)), asked)
    frozen = nearest_question_accuracy(vectors, owners, asked, known)
    adapted = nearest_question_accuracy(ContrastiveAdapter(epochs=30).fit(vectors, owners, known).predict(vectors),
                                        owners, asked, known)
    assert frozen < 0.75 and adapted >= frozen + 0.1, (frozen, adapted)


def test_the_same_kb_gives_the_same_adapter():
    vectors, owners = confusing_kb()
    first, second = (ContrastiveAdapter().fit(vectors, owners) for _ in range(2))
    assert np.array_equal(first.weight_, second.weight_) and np.abs(first.weight_).max() > 0
    other = ContrastiveAdapter(seed=14).fit(vectors, owners)
    assert not np.array_equal(first.weight_, other.weight_)


def test_a_saved_adapter_maps_vectors_identically(tmp_path):
    vectors, owners = confusing_kb()
    adapter = ContrastiveAdapter().fit(vectors, owners)
    adapter.save(tmp_path / "adapter")
    loaded = ContrastiveAdapter.load(tmp_path / "adapter")
    assert np.array_equal(loaded.predict(vectors), adapter.predict(vectors))
    assert np.allclose(np.linalg.norm(loaded.predict(vectors), axis=1), 1.0, atol=1e-5)
    assert loaded.params() == adapter.params()


def test_a_kb_without_paraphrases_keeps_the_vectors_as_they_are():
    vectors, _ = confusing_kb()
    adapter = ContrastiveAdapter().fit(vectors[:10], np.arange(10))  # one question an entry: nothing to learn
    assert np.allclose(adapter.predict(vectors), vectors, atol=1e-6)


def test_mismatched_inputs_are_refused_with_their_shapes():
    vectors, owners = confusing_kb()
    with pytest.raises(ValueError, match="one row per question"):
        ContrastiveAdapter().fit(vectors, owners[:-1])
