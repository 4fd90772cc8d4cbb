"""The trained-bot folder: a manifest plus one sub-folder per component.

The manifest records what was trained (components, versions, KB hash, config, thresholds) and the
sha256 of every file, so a corrupt or foreign folder is refused with a clear error at load. Its
component list (name, class, sub-folder, the names each needs) is what the bot is built from.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, List, Optional

from knowledge_base.errors import FaqbotError

from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker
from knowledge_base.adapter import ContrastiveAdapter
from knowledge_base.component import Component
from knowledge_base.dense_index import DenseIndex
from knowledge_base.retriever import Retriever
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter
from knowledge_base.tuned_encoder import TunedEncoder

FORMAT_VERSION = 3  # 3: one folder per component, the manifest lists them with class and dependencies
MANIFEST = "manifest.json"
EXAMPLES = "examples.json"  # the questions as written and normalised, in index order
# The classes a manifest may name: a trained folder never makes faqbot import anything else.
COMPONENTS: Dict[str, type] = {
    "normalizer": Normalizer, "segmenter": Segmenter, "sparse_index": SparseIndex, "dense_index": DenseIndex,
    "adapter": ContrastiveAdapter, "tuned_encoder": TunedEncoder,
    "retriever": Retriever, "fusion_ranker": FusionRanker, "confidence": ConfidenceModel,
}


class ArtefactError(FaqbotError):
    """A trained-bot folder that cannot be loaded."""

    code = "model_unusable"


def save_components(folder: Path, components: Dict[str, Component]) -> List[dict]:
    """Save the components, and the components they depend on, each into the sub-folder of its name;
    returns the manifest's list of them, every component after the ones it needs."""
    ordered: Dict[str, Component] = {}

    def add(name: str, component: Component) -> None:
        for need, dependency in component.dependencies().items():
            if need in COMPONENTS and need not in ordered:
                add(need, dependency)
        if not isinstance(component, COMPONENTS.get(name, ())):
            raise ValueError(f"{name!r} names no registered component of class {type(component).__name__}")
        ordered[name] = component

    for name, component in components.items():
        add(name, component)
    for name, component in ordered.items():
        component.save(folder / name)
    return [{"name": name, "class": _class_path(COMPONENTS[name]), "path": name,
             "needs": list(component.dependencies())} for name, component in ordered.items()]


def load_components(folder: Path, manifest: dict, options: Optional[Dict[str, dict]] = None,
                    **provided) -> Dict[str, Component]:
    """Every component the manifest lists, loaded from its sub-folder with the components (or ``provided``
    objects, such as the encoder) it needs; ``options``: further load arguments by component name."""
    loaded = dict(provided)
    for spec in manifest["components"]:
        needs = {need: _needed(loaded, need, spec["name"]) for need in spec["needs"]}
        extra = (options or {}).get(spec["name"], {})
        loaded[spec["name"]] = _registered(spec).load(Path(folder) / spec["path"], **needs, **extra)
    return {spec["name"]: loaded[spec["name"]] for spec in manifest["components"]}


def _registered(spec: dict) -> type:
    cls = COMPONENTS.get(spec["name"])
    if cls is None:
        raise ArtefactError(f"unknown component {spec['name']!r} in the manifest (this faqbot knows "
                            f"{sorted(COMPONENTS)}); retrain with `faqbot train`")
    if spec.get("class") != _class_path(cls):
        raise ArtefactError(f"component {spec['name']!r} was trained as {spec.get('class')}, this faqbot has "
                            f"{_class_path(cls)}; retrain with `faqbot train`")
    return cls


def _needed(loaded: dict, need: str, name: str):
    if need not in loaded:
        raise ArtefactError(f"component {name!r} needs {need!r}, which the manifest does not list before it")
    return loaded[need]


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def file_hashes(folder: Path) -> Dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


def write_manifest(folder: Path, manifest: dict) -> None:
    manifest = dict(manifest, format_version=FORMAT_VERSION, files=file_hashes(folder))
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def read_manifest(folder: Path, verify: bool = True) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ArtefactError(f"{folder}: not a trained faqbot model (no {MANIFEST}); run `faqbot train` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtefactError(f"{path}: manifest is corrupt ({exc.msg})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(f"{folder}: model format {manifest.get('format_version')!r} is not supported by this "
                            f"faqbot (expects {FORMAT_VERSION}); retrain with `faqbot train`")
    if verify:
        actual = file_hashes(Path(folder))
        expected = manifest.get("files", {})
        bad = sorted(k for k in set(actual) | set(expected) if actual.get(k) != expected.get(k))
        if bad:
            raise ArtefactError(f"{folder}: files changed or missing since training: {bad[:5]}; "
                                f"the model is corrupt — retrain with `faqbot train`")
    return manifest


def update_thresholds(folder: Path, thresholds: dict) -> None:
    """Write tuned thresholds into a trained folder (the component files stay untouched); tuned on labelled
    questions, they prove what the confidence is worth (``answers_proven``)."""
    manifest = read_manifest(folder)
    manifest["thresholds"] = dict(manifest["thresholds"], **{k: thresholds[k] for k in ("answer", "clarify")},
                                  answers_proven=True, options_floor=None, tuned=thresholds)
    write_manifest(Path(folder), manifest)
