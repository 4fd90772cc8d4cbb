"""Fine-tuning stays honest: the decision models are calibrated only on questions their adapter never saw."""
import numpy as np
import pytest

from bot.config import load_config
from knowledge_base import load_kb
from training import fine_tuning
from training.fine_tuning import held_out_half
from bot.artefact import read_manifest
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

    def record_decide(retriever, texts, embeddings, config, progress, small_talk, askable=None, labelled=None):
        asked.update(adapter=retriever.adapter, askable=askable)
        return decide(retriever, texts, embeddings, config, progress, small_talk, askable, labelled)

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


@pytest.mark.parametrize("fine_tune", ["adapter", "encoder"])
def test_a_small_edit_keeps_the_fine_tuned_encoder_and_maps_only_the_new_question(tmp_path, mini_kb, monkeypatch,
                                                                                  fine_tune):
    """What the decision models were calibrated on is what keeps answering after a few new similar questions
    (and the edit is answerable in seconds); a large edit fine-tunes again."""
    from bot.engine import Bot
    from knowledge_base.adapter import ContrastiveAdapter
    from knowledge_base.tuned_encoder import TunedEncoder

    config = load_config(None, {"dense.fine_tune": fine_tune, "ranking.refit_after": 0.1})
    before = Bot.load(train(load_kb(mini_kb), config, tmp_path / "m", show_progress=False)).retriever
    fits = []
    cls = ContrastiveAdapter if fine_tune == "adapter" else TunedEncoder
    fit = cls.fit
    monkeypatch.setattr(cls, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))

    mini_kb.write_text(mini_kb.read_text(encoding="utf-8").replace("退的钱还没到]", "退的钱还没到, 钱退到哪了]"),
                       encoding="utf-8")
    folder = train(load_kb(mini_kb), config, tmp_path / "m", show_progress=False)
    after = Bot.load(folder).retriever
    assert not fits and read_manifest(folder)["training"]["fine_tune_kept"]
    old, new = before.dense.vectors(np.arange(len(before.owners_))), after.dense.vectors(np.arange(len(after.owners_)))
    added = 4  # the refund entry's new fifth question
    assert np.array_equal(np.delete(new, added, axis=0), old)  # nothing else re-encoded or re-mapped
    [text] = after.prepare(["钱退到哪了"])
    assert np.allclose(new[added], after.adapt([text], after.encode([text]))[0], atol=1e-5)  # through the kept map
    assert not np.allclose(new[added], after.encode([text])[0], atol=1e-3)

    edited = mini_kb.read_text(encoding="utf-8")
    for n in range(40):
        edited = edited.replace("[我要退货,", f"[我要退货, 第{n}件怎么退,")
    mini_kb.write_text(edited, encoding="utf-8")
    train(load_kb(mini_kb), config, tmp_path / "m", show_progress=False)
    assert fits  # beyond ranking.refit_after: fine-tuned again with the decision models
