"""Readers for labelled-query files in the formats evaluators already have.

Each reader yields ``Row``s — where the row is (for error messages), its text and its raw label —
and says which labels mean "out of scope". ``queries.load_queries`` validates rows the same way
whatever the format, so every bad row is reported with file and line.

- JSONL (faqbot's contract): ``{"text", "expected_id": id | null}`` per line; a line may instead
  refer to a recorded session's turn (``"ref"``) and carry decision labels (``expected_decision``,
  ``expected_ids``, ``class``, ``id``: see ``queries``).
- Rasa NLU YAML test data: ``nlu: - intent: X / examples: |``; ``out_of_scope`` / ``nlu_fallback`` → null.
- CLINC150 JSON (``data_full.json``): ``{"train": [[text, intent], …], "val", "test", "oos_val", …}``;
  ``FILE.json`` reads ``test`` + ``oos_test``, ``FILE.json#val`` reads ``val`` + ``oos_val``; intent ``oos`` → null.
- CSV with ``text`` and ``label`` (or ``expected_id``) columns; an empty label → null.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from knowledge_base.errors import InvalidInput


@dataclass(frozen=True)
class Row:
    where: str  # "file:line" (or "file: split[i]" for JSON without lines)
    text: object
    label: object
    has_label: bool = True  # False: the row says nothing about its label (an error, not out of scope)
    fields: dict = field(default_factory=dict)  # the row's other labels (JSONL): ref, expected_decision, class …


class ReaderError(InvalidInput):
    """A file that cannot be read at all (wrong format, missing columns)."""


Reader = Callable[[Path, str], Iterator]  # yields a Row, or a problem message for a bad row


def read_rows(path: Path) -> tuple[list[Row], frozenset[str], list[str]]:
    """Rows of a query file, the labels that mean out of scope, and per-row problems found while reading."""
    spec = str(path)
    split = ""
    if "#" in spec and not Path(spec).exists():
        spec, split = spec.rsplit("#", 1)
    path = Path(spec)
    if not path.exists():
        raise ReaderError(f"{path}: query file not found")
    problems: list[str] = []
    rows = []
    try:
        kind = _kind(path)
        reader, oos = READERS[kind]
        if split and kind != "clinc":
            raise ReaderError(f"{path}: '#{split}' selects a split of a CLINC150 JSON file; this is {kind}")
        for row in reader(path, split):
            if isinstance(row, str):
                problems.append(row)
            else:
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise ReaderError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return rows, oos, problems


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        return "rasa"
    if suffix == ".csv":
        return "csv"
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        return "clinc" if _is_clinc(path) else "jsonl"
    raise ReaderError(f"{path}: unknown query file type {path.suffix!r}; use .jsonl (faqbot), .yml (Rasa NLU), "
                      f".json (CLINC150 data_full.json) or .csv (text,label columns)")


def _is_clinc(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False  # one JSON object per line: the JSONL contract
    return isinstance(data, dict) and any(isinstance(v, list) for v in data.values()) and "text" not in data


def _jsonl(path: Path, split: str) -> Iterator:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{where}: not valid JSON: {exc.msg}"
                continue
            if not isinstance(data, dict):
                yield f"{where}: each line must be a JSON object"
                continue
            yield Row(where, data.get("text"), _single_label(data), "expected_id" in data or "expected_ids" in data,
                      data)


def _single_label(data: dict):
    """``expected_id``, or the first of ``expected_ids`` (none: null, nothing in the KB answers alone)."""
    if "expected_id" in data:
        return data["expected_id"]
    ids = data.get("expected_ids")
    return ids[0] if isinstance(ids, list) and ids else None


def _rasa(path: Path, split: str) -> Iterator:
    from knowledge_base import safe_yaml
    from knowledge_base.rasa_yaml import is_rasa_document, read_records
    from knowledge_base.loader import Problem

    try:
        root = safe_yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        yield f"{path}:{mark.line + 1 if mark else 0}: not valid YAML: {exc}"
        return
    if root is None or not is_rasa_document(root):
        raise ReaderError(f"{path}: not Rasa NLU YAML (expected a top-level 'nlu:' list of '- intent:' blocks)")
    problems: list[Problem] = []
    for data, line, _ in read_records(root, str(path), problems):
        for text in (data["question"], *data["similar"]):
            yield Row(f"{path}:{line}", text, data["id"])
    yield from (str(p) for p in problems)


def _clinc(path: Path, split: str) -> Iterator:
    data = json.loads(path.read_text(encoding="utf-8"))
    split = split or "test"
    names = [name for name in (split, f"oos_{split}") if name in data]
    if split not in data:
        raise ReaderError(f"{path}: no split {split!r}; the file has {sorted(data)} (choose one with {path}#SPLIT)")
    for name in names:
        for i, item in enumerate(data[name]):
            where = f"{path}: {name}[{i}]"
            if not (isinstance(item, list) and len(item) == 2):
                yield f"{where}: expected [text, intent]"
                continue
            yield Row(where, item[0], item[1])


def _csv(path: Path, split: str) -> Iterator:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        label = next((c for c in ("label", "expected_id") if c in columns), None)
        if "text" not in columns or label is None:
            raise ReaderError(f"{path}:1: a query CSV needs a header with 'text' and 'label' columns; found {columns}")
        for row in reader:
            value = (row.get(label) or "").strip()
            yield Row(f"{path}:{reader.line_num}", row.get("text"), value or None)


READERS: dict[str, tuple[Reader, frozenset[str]]] = {
    "jsonl": (_jsonl, frozenset()),
    "rasa": (_rasa, frozenset({"out_of_scope", "nlu_fallback"})),
    "clinc": (_clinc, frozenset({"oos"})),
    "csv": (_csv, frozenset()),
}


def label_resolver(known: set | None) -> Callable[[str], str | None]:
    """Maps a label to the KB id it names: itself, or the one id with the same bare name, so Rasa's
    ``faq/refund`` finds ``refund`` and CLINC's ``translate`` finds ``clinc150:translate``."""
    by_bare: dict[str, list[str]] = {}
    for k in known or ():
        by_bare.setdefault(_bare(k), []).append(k)

    def resolve(label: str) -> str | None:
        if known is None or label in known:
            return label
        matches = by_bare.get(_bare(label), [])
        return matches[0] if len(matches) == 1 else None

    return resolve


def _bare(name: str) -> str:
    return name.replace(":", "/").rsplit("/", 1)[-1]
