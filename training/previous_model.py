"""The trained version a retraining starts from: what it already computed is reused, not redone.

Unchanged questions keep their normalised text and their BM25 term counts (segmentation and pinyin
are most of the sparse index's build time), the IVF index keeps its k-means centres, and the learned
fusion, confidence and thresholds are kept while less than ``ranking.refit_after`` of the questions
changed since they were fitted: ten new questions do not move a model of a few dozen weights, and a
refit would move every decision near a threshold — an edit to one entry must change only the
questions near it (and on a large KB, scoring thousands of held-out questions takes minutes). Sentence
vectors come from the embedding cache.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from bot.config import Config
from knowledge_base.component import Component
from knowledge_base.retriever import Retriever
from knowledge_base.text import Normalizer

from bot.artefact import EXAMPLES, load_components, read_manifest
from knowledge_base.embedding_cache import keys_of

MAPPINGS = ("adapter", "tuned_encoder")  # the components ``dense.fine_tune`` adds: kept with the decision models
FITTED_ON = "fitted_on.npy"  # hashes of the normalised questions the fusion and confidence were fitted on


@dataclass
class PreviousModel:
    folder: Path
    manifest: dict
    components: Dict[str, Component]
    raw: List[str]
    texts: List[str]

    @classmethod
    def load(cls, folder: Optional[Path], config: Config, code: str) -> Optional["PreviousModel"]:
        """The model in ``folder`` if it was trained with this config and code, else None."""
        if folder is None or not (Path(folder) / EXAMPLES).exists():
            return None
        try:
            manifest = read_manifest(folder)
            if (manifest.get("config_hash"), manifest.get("code_hash")) != (config.fingerprint(), code):
                return None
            examples = json.loads((Path(folder) / EXAMPLES).read_text(encoding="utf-8"))
            components = load_components(folder, manifest, {"sparse_index": {"counts": True}}, encoder=None)
        except Exception:  # an unreadable earlier model only means a slower, full training
            return None
        return cls(Path(folder), manifest, components, examples["raw"], examples["normalised"])

    @property
    def retriever(self) -> Retriever:
        """Its retriever, with the sparse term counts a retraining starts from (and no encoder)."""
        return self.components["retriever"]

    @property
    def mapping(self) -> Optional[Component]:
        """Its ``dense.fine_tune`` adapter or tuned encoder (None when it had none)."""
        return next((self.components[name] for name in MAPPINGS if name in self.components), None)

    def mapped_vectors(self, texts: List[str]) -> Tuple[np.ndarray, np.ndarray]:
        """(which of ``texts`` it already indexed, their vectors as its dense index holds them): with a
        fine-tuned encoder, what re-encoding them through it would give."""
        rows = {text: i for i, text in enumerate(self.texts)}
        known = np.array([text in rows for text in texts], bool)
        ids = np.array([rows[text] for text in texts if text in rows], np.int64)
        return known, self.retriever.dense.vectors(ids)

    def normalised(self, raw: List[str], normalizer: Normalizer) -> List[str]:
        """``normalizer.predict(raw)``, reusing the texts this model already normalised."""
        known = dict(zip(self.raw, self.texts))
        missing = list(dict.fromkeys(t for t in raw if t not in known))
        known.update(zip(missing, normalizer.predict(missing)))
        return [known[t] for t in raw]

    def decision_models(self, questions: np.ndarray, config: Config):
        """(ranker, confidence, thresholds, stats, fitted-on hashes) to keep, or None when they must be refit;
        ``questions``: ``question_keys`` of the KB being trained."""
        thresholds = self.manifest["thresholds"]
        if "tuned" in thresholds or not (self.folder / FITTED_ON).exists():
            return None
        fitted = np.load(self.folder / FITTED_ON)
        changed = len(np.setdiff1d(questions, fitted)) + len(np.setdiff1d(fitted, questions))
        if changed >= config.ranking.refit_after * max(1, len(fitted)):
            return None
        stats = dict(self.manifest["training"], decision_models_reused_from=self.manifest["kb_hash"],
                     questions_changed_since_fitted=changed)
        return self.components["fusion_ranker"], self.components["confidence"], thresholds, stats, fitted


def calibration_key(folder: Path, config: Config, code: str) -> Optional[str]:
    """What identifies the fusion, confidence and thresholds (and the adapter or tuned encoder they were
    calibrated on) a retraining from the model in ``folder`` may keep: its fitted-on questions, thresholds
    and the mapping's file hashes; None when it was trained with another config or code. Reads the
    manifest and one small file, not the model."""
    folder = Path(folder)
    try:
        manifest = read_manifest(folder)
        fitted = (folder / FITTED_ON).read_bytes()
    except Exception:  # no usable model there: nothing to keep
        return None
    if (manifest.get("config_hash"), manifest.get("code_hash")) != (config.fingerprint(), code):
        return None
    mapping = sorted((path, digest) for path, digest in manifest.get("files", {}).items()
                     if path.split("/")[0] in MAPPINGS)
    kept = json.dumps([manifest["thresholds"], mapping], sort_keys=True).encode()
    return hashlib.sha256(fitted + kept).hexdigest()[:12]


def question_keys(kb, texts: List[str]) -> np.ndarray:
    """One hash per (entry, normalised question): a question moved to another entry is a change too."""
    _, owners = kb.examples()
    ids = [e.id for e in kb]
    return np.unique(keys_of([f"{ids[o]}\t{t}" for o, t in zip(owners, texts)]))


def save_examples(folder: Path, raw: List[str], texts: List[str]) -> None:
    (folder / EXAMPLES).write_text(json.dumps({"raw": raw, "normalised": texts}, ensure_ascii=False),
                                   encoding="utf-8")
