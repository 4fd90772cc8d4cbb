"""Fine-tuning stays honest: the decision models are calibrated only on questions their adapter never saw."""
import numpy as np
import pytest

from bot.config import load_config
from knowledge_base import load_kb
from training import fine_tuning
from training.fine_tuning import held_out_half
from training.trainer import train


def test_every_other_similar_question_and_lone_questions_are_held_out():
    owners = np.array([0, 0, 0, 0, 1, 2, 2])
    assert held_out_half(owners).tolist() == [False, True, False, True, True, False, True]


def test_the_served_adapter_never_learned_from_the_questions_calibration_asks(tmp_path, mini_kb, monkeypatch):
    import training.trainer as trainer

    learned, asked = [], {}
    fit, decide = fine_tuning.ContrastiveAdapter.fit, trainer._fit_decision_models

    def record_fit(self, vectors, owners, learn_from=None):
        learned.append(None if learn_from is None else set(learn_from.tolist()))
        return fit(self, vectors, owners, learn_from)

    def record_decide(retriever, texts, embeddings, config, progress, small_talk, askable=None):
        asked.update(adapter=retriever.adapter, askable=askable)
        return decide(retriever, texts, embeddings, config, progress, small_talk, askable)

    monkeypatch.setattr(fine_tuning.ContrastiveAdapter, "fit", record_fit)
    monkeypatch.setattr(trainer, "_fit_decision_models", record_decide)
    folder = train(load_kb(mini_kb), load_config(None, {"dense.fine_tune": "adapter"}), tmp_path / "m",
                   show_progress=False)
    [seen] = learned
    assert seen and not seen & set(np.flatnonzero(asked["askable"]).tolist())
    assert asked["adapter"].trained_on_ == len(seen)
    assert np.array_equal(np.load(folder / "adapter" / "weight.npy"), asked["adapter"].weight_)  # calibrated = served


@pytest.mark.parametrize("fine_tune", ["adapter", "encoder"])
def test_a_fine_tuned_bot_ranks_with_mapped_vectors_but_hands_the_encoders_own_to_the_hand_off_models(
        tmp_path, mini_kb, fine_tune):
    from bot.engine import Bot

    bot = Bot.load(train(load_kb(mini_kb), load_config(None, {"dense.fine_tune": fine_tune}), tmp_path / "m",
                         show_progress=False))
    unseen = held_out_half(bot.retriever.owners_)
    assert bot.retriever.adapter.trained_on_ == int((~unseen).sum())  # calibration asked only the others
    [analysis] = bot.analyse(["退的钱还没到账"])
    [own] = bot.retriever.encode(bot.retriever.prepare(["退的钱还没到账"]))
    assert np.allclose(analysis.vector, own, atol=1e-6)  # emotion and person models learned on these
    assert not np.allclose(bot.retriever.adapt(["退的钱还没到账"], own[None])[0], own, atol=1e-3)  # the index compares mapped ones
    assert bot.kb.entries[analysis.entries[0]].id == "refund"
