"""Load a knowledge base from YAML, JSONL, CSV or Excel, reporting every problem with file, line and field.

Loading never drops an entry: either every entry loads or ``KBValidationError`` lists all problems.
"""
from __future__ import annotations

import re

import csv
import json
import stat
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import yaml

from knowledge_base import safe_yaml
from knowledge_base.entry import STATUSES, Entry, KnowledgeBase
from knowledge_base.limits import ImportLimits
from knowledge_base.problems import KBValidationError, Problem

# An id names the entry in URLs (/api/trainer/entries/{id}) and files: nothing that would change the path.
_BAD_ID = re.compile(r"[/\\\x00-\x1f\x7f]")  # ? # % are fine: URLs percent-encode them
MAX_ID_CHARS = 255  # the draft's id column
FIELDS = (
    "id", "question", "similar", "category", "answer", "keywords", "related", "tags",
    "metadata", "valid_from", "valid_to", "status", "handoff", "action",
)
LIST_FIELDS = ("similar", "keywords", "related", "tags")
CSV_LIST_SEPARATOR = "|"
# YAML top-level keys naming the KB's own segmenter files → the segmenter setting they fill.
RESOURCES = {"dictionary": "user_dictionary", "synonyms": "synonyms"}
SOURCE = "_source"
# What makes Excel, WPS or LibreOffice read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# A raw record: the parsed mapping, the line it starts on, and the line of each field.
Record = Tuple[Dict[str, Any], int, Dict[str, int]]


def load_kb(path: Union[str, Path], limits: Optional[ImportLimits] = None) -> KnowledgeBase:
    """Load ``path`` (.yml/.yaml, .jsonl/.json, .csv, .xlsx) into a validated KnowledgeBase; with
    ``limits``, a file too large (or unpacking too large, or with too many rows) is refused. What any
    file holds is bounded either way: nesting depth, no YAML aliases, and dictionary files only from
    the KB's own folder."""
    path = Path(path)
    bounds = limits or ImportLimits()
    if not path.exists():
        raise FileNotFoundError(f"{path}: knowledge base file not found")
    too_big = limits.file_problem(path) if limits else ""
    if too_big:
        raise KBValidationError([Problem(str(path), 0, "", too_big)])
    readers = {".yml": _read_yaml, ".yaml": _read_yaml, ".jsonl": _read_jsonl, ".json": _read_json,
               ".csv": _read_csv, ".xlsx": _read_xlsx}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise KBValidationError([Problem(str(path), 0, "", f"unsupported file type {path.suffix!r}; "
                                                           f"use one of {sorted(readers)}")])
    problems: List[Problem] = []
    resources: Dict[str, str] = {}
    try:
        records = _shallow(reader(path, problems, resources, bounds), str(path), problems, bounds)
    except UnicodeDecodeError as exc:
        raise KBValidationError([Problem(str(path), 0, "", f"not UTF-8 text (byte {exc.start}); save the file as "
                                                           f"UTF-8 (Excel: 'CSV UTF-8')")]) from exc
    source = resources.pop(SOURCE, str(path))  # a reader may name the place better (an Excel sheet)
    too_many = limits.rows_problem(len(records)) if limits else ""
    if too_many:
        raise KBValidationError([Problem(source, 0, "", too_many)])
    return build_kb(records, source, problems, resources)


def build_kb(records: Iterable[Record], source: str, problems: Optional[List[Problem]] = None,
             resources: Optional[Dict[str, str]] = None) -> KnowledgeBase:
    """Validate raw records (from any reader or importer) into a KnowledgeBase."""
    problems = problems if problems is not None else []
    entries: List[Entry] = []
    lines: List[int] = []
    for data, line, field_lines in records:
        entry = _to_entry(data, source, line, field_lines, problems)
        if entry is not None:
            entries.append(entry)
            lines.append(line)
    _check_cross_entry(entries, lines, source, problems)
    if not entries and not problems:
        problems.append(Problem(source, 0, "", "no entries: a knowledge base needs at least one entry"))
    if problems:
        raise KBValidationError(problems)
    return KnowledgeBase(tuple(entries), source, dict(resources or {}))


def _shallow(records: List[Record], source: str, problems: List[Problem], bounds: ImportLimits) -> List[Record]:
    """The records whose values nest within ``bounds`` (whatever the format); the others are problems."""
    kept = []
    for data, line, field_lines in records:
        too_deep = bounds.depth_problem(data)
        if too_deep:
            field = next((k for k, v in data.items() if bounds.depth_problem([v])), "")
            problems.append(Problem(source, field_lines.get(field, line), str(field), too_deep))
        else:
            kept.append((data, line, field_lines))
    return kept


def _parse_json(text: str, bounds: ImportLimits) -> Any:
    """``json.loads``, with nesting too deep for the parser's stack reported as a JSON error."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(f"nested deeper than {bounds.max_depth} levels", text, 0) from None


def _read_yaml(path: Path, problems: List[Problem], resources: Dict[str, str], bounds: ImportLimits) -> List[Record]:
    """``entries:`` (or a bare list); optional ``dictionary:`` / ``synonyms:`` files beside the KB."""
    text = path.read_text(encoding="utf-8")
    try:
        root = safe_yaml.compose(text, bounds.max_depth)
    except yaml.YAMLError as exc:
        problems.append(Problem(str(path), safe_yaml.line_of(exc), "", safe_yaml.describe(exc)))
        return []
    if root is None:
        return []
    from knowledge_base.rasa_yaml import is_rasa_document, read_records

    if is_rasa_document(root):
        try:
            return read_records(root, str(path), problems)
        except yaml.YAMLError as exc:  # e.g. a list used as a key
            problems.append(Problem(str(path), safe_yaml.line_of(exc), "", safe_yaml.describe(exc)))
            return []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value in RESOURCES:
                _add_resource(path, key, value, problems, resources, bounds)
            elif key.value != "entries":
                problems.append(Problem(str(path), key.start_mark.line + 1, key.value, "unknown top-level key; "
                                        f"allowed: ['entries', {', '.join(repr(k) for k in RESOURCES)}]"))
        entries_node = next((v for k, v in root.value if k.value == "entries"), None)
        if entries_node is None:
            problems.append(Problem(str(path), 1, "entries", "a YAML knowledge base needs a top-level "
                                                              "'entries:' list (or is itself a list)"))
            return []
        root = entries_node
    if not isinstance(root, yaml.SequenceNode):
        problems.append(Problem(str(path), root.start_mark.line + 1, "entries", "expected a list of entries"))
        return []
    records = []
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            problems.append(Problem(str(path), line, "", "an entry must be a mapping of fields"))
            continue
        try:
            data = safe_yaml.to_python(node)
        except yaml.YAMLError as exc:  # e.g. a list used as a key
            problems.append(Problem(str(path), safe_yaml.line_of(exc) or line, "", safe_yaml.describe(exc)))
            continue
        field_lines = {}
        for key, _ in node.value:
            if key.value in field_lines:  # YAML would silently keep only the last one
                problems.append(Problem(str(path), key.start_mark.line + 1, key.value,
                                        f"given twice in one entry (first at line {field_lines[key.value]})"))
            field_lines[key.value] = key.start_mark.line + 1
        records.append((data, line, field_lines))
    return records


def _add_resource(path: Path, key: yaml.Node, value: yaml.Node, problems: List[Problem], resources: Dict[str, str],
                  bounds: ImportLimits) -> None:
    """Read the ``dictionary:`` / ``synonyms:`` file now, so a file the bot could not train with is
    refused at import (with its line), never found broken later by the draft or a publish."""
    line = key.start_mark.line + 1
    name = value.value if isinstance(value, yaml.ScalarNode) else ""
    if not name:
        problems.append(Problem(str(path), line, key.value, "expected the name of a file beside the knowledge base"))
        return
    target, problem = _resource_file(path.parent, name, bounds)
    problem = problem or _resource_content_problem(key.value, target, name)
    if problem:
        problems.append(Problem(str(path), line, key.value, problem))
    else:
        resources[RESOURCES[key.value]] = str(target)


def _resource_file(folder: Path, name: str, bounds: ImportLimits) -> Tuple[Path, str]:
    """The file ``name`` means, and why it must not be read ("" when it may): only a regular file,
    inside the KB's own folder (after following links), within the KB's size limit."""
    refused = f"{name!r} must name a file in the knowledge base's own folder (a relative name, no '..')"
    if Path(name).is_absolute() or ".." in Path(name).parts or "\\" in name:
        return folder, refused
    try:
        target = (folder / name).resolve()
    except (OSError, RuntimeError):  # a loop of links
        return folder, refused
    if not target.is_relative_to(folder.resolve()):
        return target, refused
    if not target.exists():
        return target, f"{name!r} not found in the knowledge base's folder"
    if not stat.S_ISREG(target.stat().st_mode):
        return target, f"{name!r} is not a regular file"
    too_big = bounds.file_problem(target)
    return target, f"{name!r}: {too_big}" if too_big else ""


def _resource_content_problem(key: str, target: Path, name: str) -> str:
    """Why the bot could not train with the file, parsed as training parses it ("" when it can)."""
    from knowledge_base.text.segmenter import read_synonyms, read_user_dictionary

    read = read_user_dictionary if key == "dictionary" else read_synonyms
    try:
        read(target)
    except UnicodeDecodeError as exc:
        return f"{name!r} is not UTF-8 text (byte {exc.start})"
    except ValueError as exc:
        return str(exc).replace(str(target), name)
    return ""


def _read_jsonl(path: Path, problems: List[Problem], resources: Dict[str, str], bounds: ImportLimits) -> List[Record]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = _parse_json(raw, bounds)
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(path), number, "", f"not valid JSON: {exc.msg} (column {exc.colno})"))
                continue
            if not isinstance(data, dict):
                problems.append(Problem(str(path), number, "", "each line must be a JSON object"))
                continue
            records.append((data, number, {}))
    return records


def _read_json(path: Path, problems: List[Problem], resources: Dict[str, str], bounds: ImportLimits) -> List[Record]:
    """A JSON array of entries (or ``{"entries": [...]}``); a file of one object per line is JSONL."""
    text = path.read_text(encoding="utf-8")
    try:
        data = _parse_json(text, bounds)
    except json.JSONDecodeError:
        return _read_jsonl(path, problems, resources, bounds)
    if isinstance(data, dict):
        data = data.get("entries", [data])
    if not isinstance(data, list):
        problems.append(Problem(str(path), 1, "", "expected a JSON array of entries"))
        return []
    records = []
    for number, item in enumerate(data, 1):
        if isinstance(item, dict):
            records.append((item, number, {}))
        else:
            problems.append(Problem(str(path), 0, "", f"entry #{number} is not a JSON object"))
    return records


def _read_csv(path: Path, problems: List[Problem], resources: Dict[str, str], bounds: ImportLimits) -> List[Record]:
    """CSV columns are the entry fields; lists use '|'; answer_<channel> columns add channel variants."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return [_table_record(row, reader.line_num, str(path), problems, lambda column: column, bounds)
                for row in reader]


def _read_xlsx(path: Path, problems: List[Problem], resources: Dict[str, str], bounds: ImportLimits) -> List[Record]:
    """An Excel workbook laid out like the CSV (sheet ``entries``, else the first); problems name the
    sheet, row and column as Excel shows them."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise KBValidationError([Problem(str(path), 0, "", f"not an Excel .xlsx workbook: {exc}")]) from exc
    sheet = book["entries"] if "entries" in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else None for h in next(rows, ())]
    where = resources[SOURCE] = f"{path} [sheet {sheet.title}]"
    letters = {name: get_column_letter(n) for n, name in enumerate(header, 1) if name}
    records = []
    for number, cells in enumerate(rows, 2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        row = {name: _cell_text(value) for name, value in zip(header, cells) if name}
        extra = [c for c in cells[len(header):] if c not in (None, "")] + \
            [v for name, v in zip(header, cells) if name is None and v not in (None, "")]
        if extra:
            row[None] = extra
        records.append(_table_record(row, number, where, problems, lambda c: f"{c} (column {letters.get(c, '?')})",
                                     bounds))
    book.close()
    return records


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date,)):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table_record(row: Dict[Optional[str], Any], line: int, where: str, problems: List[Problem],
                  name: Callable[[str], str], bounds: ImportLimits) -> Record:
    """One spreadsheet row (CSV or Excel) → a record; ``name`` says how to point at a column."""
    data: Dict[str, Any] = {}
    answers: Dict[str, str] = {}
    for column, value in row.items():
        if column is None:
            problems.append(Problem(where, line, "", "row has more cells than the header"))
            continue
        value = unescape_cell((value or "").strip())
        if not value:
            continue
        if column == "answer" or column.startswith("answer_"):
            answers["default" if column == "answer" else column[len("answer_"):]] = value
        elif column in LIST_FIELDS:
            data[column] = [v.strip() for v in value.split(CSV_LIST_SEPARATOR) if v.strip()]
        elif column == "handoff":
            data[column] = _table_bool(value, where, line, name(column), problems)
        elif column in ("metadata", "action"):
            data[column] = _json_cell(value, where, line, name(column), problems, bounds)
        else:
            data[column] = value
    if answers:
        data["answer"] = answers
    return data, line, {}


def escape_cell(text: str) -> str:
    """A spreadsheet cell that cannot run as a formula: text a spreadsheet would read as one gets a
    leading ``'`` (OWASP's advice); so does text already starting that way, so ``unescape_cell``
    gives back every text exactly."""
    return "'" + text if _looks_like_formula(text) else text


def unescape_cell(text: str) -> str:
    """The text ``escape_cell`` was given (a hand-written ``'=…`` cell means ``=…`` too)."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    first = text.lstrip("'")[:1]
    return bool(first) and first in FORMULA_STARTS


def _table_bool(value: str, where: str, line: int, field: str, problems: List[Problem]) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "y", "是"):
        return True
    if lowered not in ("0", "false", "no", "n", "否"):
        problems.append(Problem(where, line, field, f"{value!r} is not true/false"))
    return False


def _json_cell(value: str, where: str, line: int, field: str, problems: List[Problem], bounds: ImportLimits) -> Any:
    try:
        return _parse_json(value, bounds)
    except json.JSONDecodeError as exc:
        problems.append(Problem(where, line, field, f"not valid JSON: {exc.msg}"))
        return {}


def _to_entry(data: Dict[str, Any], source: str, line: int, field_lines: Dict[str, int],
              problems: List[Problem]) -> Optional[Entry]:
    def report(field: str, message: str) -> None:
        problems.append(Problem(source, field_lines.get(field, line), field, message))

    before = len(problems)
    unknown = sorted(set(data) - set(FIELDS))
    for name in unknown:
        report(name, f"unknown field; allowed fields are {list(FIELDS)}")
    entry_id = data.get("id")
    if entry_id is None or str(entry_id).strip() == "":
        report("id", "missing: every entry needs an id")
    elif _BAD_ID.search(str(entry_id)) or str(entry_id) in (".", "..") or str(entry_id) != str(entry_id).strip() \
            or len(str(entry_id)) > MAX_ID_CHARS:
        report("id", f"{str(entry_id)[:80]!r} cannot be an id: at most {MAX_ID_CHARS} characters, not '.' or '..', "
                     "no / or \\, control characters or surrounding spaces (it is part of the entry's URL)")
    question = data.get("question")
    if isinstance(question, (int, float)) and not isinstance(question, bool):
        question = str(question)  # "12306" written without quotes is still a question
    if not isinstance(question, str) or not question.strip():
        report("question", "missing or empty: every entry needs a standard question")
    lists = {name: _as_text_list(data.get(name), name, report) for name in LIST_FIELDS}
    if any(not s for s in lists["similar"]):
        report("similar", "contains an empty similar question")
    answer = _as_answer(data.get("answer"), report)
    valid_from = _as_date(data.get("valid_from"), "valid_from", report)
    valid_to = _as_date(data.get("valid_to"), "valid_to", report)
    if valid_from and valid_to and valid_to < valid_from:
        report("valid_to", f"{valid_to} is before valid_from {valid_from}")
    status = data.get("status", "published")
    if status not in STATUSES:
        report("status", f"{status!r} is not a status; use one of {list(STATUSES)}")
    handoff = data.get("handoff", False)
    if not isinstance(handoff, bool):
        report("handoff", f"expected true or false, got {handoff!r}")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        report("metadata", "expected a mapping")
    else:
        try:
            json.dumps(metadata, ensure_ascii=False)
        except TypeError as exc:
            report("metadata", f"values must be text, numbers, lists or mappings ({exc}); quote dates")
    action = _as_action(data.get("action"), report)
    if len(problems) > before:
        return None
    return Entry(
        id=str(entry_id).strip(), question=question.strip(), similar=tuple(lists["similar"]),
        category=str(data.get("category") or "").strip(), answer=answer,
        keywords=tuple(lists["keywords"]), related=tuple(lists["related"]), tags=tuple(lists["tags"]),
        metadata=dict(metadata), valid_from=valid_from, valid_to=valid_to, status=status, handoff=handoff,
        action=action,
    )


def _as_text_list(value: Any, name: str, report) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        report(name, f"expected a list of texts, got {type(value).__name__}")
        return []
    out = []
    for item in value:
        if isinstance(item, (dict, list)) or item is None:
            report(name, f"expected text, got {item!r}")
            continue
        out.append(str(item).strip())
    return out


def _as_answer(value: Any, report) -> Dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"default": value.strip()}
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        if bad:
            report("answer", f"channel(s) {bad} must map to text")
            return {}
        answers = {str(k): v.strip() for k, v in value.items()}
        if answers and "default" not in answers:
            report("answer", "per-channel answers need a 'default' variant")
        return answers
    report("answer", f"expected text or a mapping of channel to text, got {type(value).__name__}")
    return {}


def _as_action(value: Any, report) -> Dict[str, Any]:
    """``action: {name: order_status, answer: "…{status}…"}`` (the answer per channel like ``answer``)."""
    if value in (None, {}, ""):
        return {}
    if not isinstance(value, dict):
        report("action", "expected a mapping with 'name' (an action of config.yml's actions.calls) and 'answer'")
        return {}
    unknown = sorted(set(value) - {"name", "answer"})
    if unknown:
        report("action", f"unknown key(s) {unknown}; allowed: ['name', 'answer']")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        report("action", "needs 'name': the action (config.yml actions.calls) to run")
        return {}
    answer = _as_answer(value.get("answer"), lambda _, message: report("action", "answer: " + message))
    if not answer:
        report("action", "needs 'answer': the template that words the result, e.g. 订单{order_number}：{status}")
    return {"name": name.strip(), "answer": answer}


def _as_date(value: Any, name: str, report) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        report(name, f"{value!r} is not a date (use YYYY-MM-DD)")
        return None


def _check_cross_entry(entries: List[Entry], lines: List[int], source: str, problems: List[Problem]) -> None:
    first_id: Dict[str, int] = {}
    for entry, line in zip(entries, lines):
        if entry.id in first_id:
            problems.append(Problem(source, line, "id", f"duplicate id {entry.id!r} (first defined at line "
                                                        f"{first_id[entry.id]})"))
        else:
            first_id[entry.id] = line
    owner: Dict[str, Tuple[str, int]] = {}
    for entry, line in zip(entries, lines):
        for text in dict.fromkeys(q.strip() for q in entry.questions):
            previous = owner.get(text)
            if previous and previous[0] != entry.id:
                problems.append(Problem(source, line, "similar", f"question {text!r} is also under entry "
                                                                 f"{previous[0]!r} (line {previous[1]})"))
            else:
                owner[text] = (entry.id, line)
    for entry, line in zip(entries, lines):
        for rid in entry.related:
            if rid not in first_id:
                problems.append(Problem(source, line, "related", f"unknown entry id {rid!r}"))
