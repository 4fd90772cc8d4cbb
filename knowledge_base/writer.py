"""Write a knowledge base as YAML, JSONL, CSV, Excel or Rasa NLU YAML; each reads back identically."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from knowledge_base.entry import Entry, KnowledgeBase
from knowledge_base.loader import CSV_LIST_SEPARATOR, LIST_FIELDS, RESOURCES, escape_cell

FORMATS = ("yaml", "jsonl", "csv", "xlsx", "rasa")


def _compact(entry: Entry) -> dict:
    """The entry's fields without empty defaults, in a trainer-friendly order."""
    data = entry.to_dict()
    defaults = {"similar": [], "category": "", "answer": {}, "keywords": [], "related": [], "tags": [],
                "metadata": {}, "valid_from": None, "valid_to": None, "status": "published", "handoff": False,
                "action": {}}
    out = {k: v for k, v in data.items() if defaults.get(k, object()) != v}
    if list(out.get("answer", {})) == ["default"]:
        out["answer"] = out["answer"]["default"]
    return out


def to_yaml(kb: KnowledgeBase) -> str:
    """``dictionary:`` / ``synonyms:`` name the KB's own files (written beside it by ``write_kb``)."""
    header = {key: Path(kb.resources[setting]).name for key, setting in RESOURCES.items() if setting in kb.resources}
    return yaml.safe_dump(dict(header, entries=[_compact(e) for e in kb]), allow_unicode=True, sort_keys=False,
                          width=1000)


def to_jsonl(kb: KnowledgeBase) -> str:
    return "".join(json.dumps(_compact(e), ensure_ascii=False) + "\n" for e in kb)


def to_csv(kb: KnowledgeBase) -> str:
    columns, rows = _table(kb)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_xlsx(kb: KnowledgeBase) -> bytes:
    """The CSV layout in a sheet named ``entries``: trainers edit it in Excel or WPS and import it back."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns, rows = _table(kb)
    book = Workbook()
    sheet = book.active
    sheet.title = "entries"
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, 2):
        for column, name in enumerate(columns, 1):
            cell = sheet.cell(number, column, row[name])
            cell.data_type = "s"  # text, never a formula, whatever it starts with
    sheet.freeze_panes = "C2"
    for n, column in enumerate(columns):
        sheet.column_dimensions[sheet.cell(1, n + 1).column_letter].width = 40 if column in ("similar", "answer") else 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table(kb: KnowledgeBase):
    """Column names and one row (column → text) per entry; lists joined with '|'; every cell escaped
    so that no spreadsheet runs it as a formula (the loader takes the escape off)."""
    channels = sorted({c for e in kb for c in e.answer if c != "default"})
    columns = ["id", "question", "similar", "category", "answer"] + [f"answer_{c}" for c in channels] + [
        "keywords", "related", "tags", "metadata", "valid_from", "valid_to", "status", "handoff", "action"]
    rows = []
    for entry in kb:
        data = entry.to_dict()
        row = {k: data[k] for k in columns if k in data and k != "answer"}
        for name in LIST_FIELDS:
            row[name] = CSV_LIST_SEPARATOR.join(data[name])
        row["metadata"] = json.dumps(data["metadata"], ensure_ascii=False) if data["metadata"] else ""
        row["handoff"] = "true" if entry.handoff else ""
        row["action"] = json.dumps(data["action"], ensure_ascii=False) if data["action"] else ""
        row["answer"] = entry.answer.get("default", "")
        row.update({f"answer_{c}": entry.answer.get(c, "") for c in channels})
        rows.append({k: escape_cell("" if row.get(k) is None else str(row[k])) for k in columns})
    return columns, rows


def write_kb(kb: KnowledgeBase, path, fmt: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        Path(path).write_bytes(to_xlsx(kb))
        return
    if fmt == "rasa":
        from knowledge_base.rasa_yaml import dump

        text = dump(kb)
    else:
        text = {"yaml": to_yaml, "jsonl": to_jsonl, "csv": to_csv}[fmt](kb)
    Path(path).write_text(text, encoding="utf-8")
    if fmt == "yaml":
        _copy_resources(kb, Path(path).parent)


def _copy_resources(kb: KnowledgeBase, folder: Path) -> None:
    """The dictionary and synonym files go beside the YAML that names them (never over themselves)."""
    for source in map(Path, kb.resources.values()):
        target = folder / source.name
        if source.exists() and source.resolve() != target.resolve():
            target.write_bytes(source.read_bytes())
