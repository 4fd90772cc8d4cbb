"""The trained-bot folder: a manifest plus one sub-folder per component.

The manifest records what was trained (components, versions, KB hash, config, thresholds) and the
sha256 of every file, so a corrupt or foreign folder is refused with a clear error at load.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict
from knowledge_base.errors import FaqbotError

FORMAT_VERSION = 2  # 2: BM25 inverted index + term counts, centroid sums, examples
MANIFEST = "manifest.json"
EXAMPLES = "examples.json"  # the questions as written and normalised, in index order


class ArtefactError(FaqbotError):
    """A trained-bot folder that cannot be loaded."""

    code = "model_unusable"


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
    """Write tuned thresholds into a trained folder (the component files stay untouched)."""
    manifest = read_manifest(folder)
    manifest["thresholds"] = dict(manifest["thresholds"], **{k: thresholds[k] for k in ("answer", "clarify")},
                                  tuned=thresholds)
    write_manifest(Path(folder), manifest)
