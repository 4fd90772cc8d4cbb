"""Write a knowledge base as YAML, JSONL, CSV or Rasa NLU YAML; each reads back identically."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from .entry import Entry, KnowledgeBase
from .loader import CSV_LIST_SEPARATOR, LIST_FIELDS

FORMATS = ("yaml", "jsonl", "csv", "rasa")


def _compact(entry: Entry) -> dict:
    """The entry's fields without empty defaults, in a trainer-friendly order."""
    data = entry.to_dict()
    defaults = {"similar": [], "category": "", "answer": {}, "keywords": [], "related": [], "tags": [],
                "metadata": {}, "valid_from": None, "valid_to": None, "status": "published", "handoff": False}
    out = {k: v for k, v in data.items() if defaults.get(k, object()) != v}
    if list(out.get("answer", {})) == ["default"]:
        out["answer"] = out["answer"]["default"]
    return out


def to_yaml(kb: KnowledgeBase) -> str:
    return yaml.safe_dump({"entries": [_compact(e) for e in kb]}, allow_unicode=True, sort_keys=False, width=1000)


def to_jsonl(kb: KnowledgeBase) -> str:
    return "".join(json.dumps(_compact(e), ensure_ascii=False) + "\n" for e in kb)


def to_csv(kb: KnowledgeBase) -> str:
    channels = sorted({c for e in kb for c in e.answer if c != "default"})
    columns = ["id", "question", "similar", "category", "answer"] + [f"answer_{c}" for c in channels] + [
        "keywords", "related", "tags", "metadata", "valid_from", "valid_to", "status", "handoff"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for entry in kb:
        data = entry.to_dict()
        row = {k: data[k] for k in columns if k in data and k != "answer"}
        for name in LIST_FIELDS:
            row[name] = CSV_LIST_SEPARATOR.join(data[name])
        row["metadata"] = json.dumps(data["metadata"], ensure_ascii=False) if data["metadata"] else ""
        row["handoff"] = "true" if entry.handoff else ""
        row["answer"] = entry.answer.get("default", "")
        row.update({f"answer_{c}": entry.answer.get(c, "") for c in channels})
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def write_kb(kb: KnowledgeBase, path, fmt: str) -> None:
    if fmt == "rasa":
        from intents.rasa_yaml import dump

        text = dump(kb)
    else:
        text = {"yaml": to_yaml, "jsonl": to_jsonl, "csv": to_csv}[fmt](kb)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
