"""Labelled query files: faqbot's JSONL contract (``{"text", "expected_id": id | null}``), Rasa NLU
YAML test data, CLINC150 JSON or a text,label CSV (see ``readers``), validated the same way."""
from __future__ import annotations

from dataclasses import dataclass

from training.query_readers import ReaderError, label_resolver, read_rows
from knowledge_base.errors import InvalidInput


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    expected_id: str | None


class QueryFileError(InvalidInput):
    pass


def load_queries(path, known_ids=None) -> list[LabelledQuery]:
    """Every query of ``path``; a file with any bad row is refused with every problem's file and line."""
    try:
        rows, oos_labels, problems = read_rows(path)
    except ReaderError as exc:
        raise QueryFileError(str(exc)) from exc
    resolve = label_resolver(known_ids)
    queries = []
    for row in rows:
        if not isinstance(row.text, str):
            problems.append(f"{row.where}: text: missing or not text")
        elif not row.has_label:
            problems.append(f"{row.where}: expected_id: missing (use null for a question the KB must not answer)")
        elif row.label is None or (str(row.label) in oos_labels and resolve(str(row.label)) is None):
            queries.append(LabelledQuery(row.text, None))
        elif resolve(str(row.label)) is None:
            problems.append(f"{row.where}: expected_id: {row.label!r} is not an entry of the knowledge base")
        else:
            queries.append(LabelledQuery(row.text, resolve(str(row.label))))
    if not queries and not problems:
        problems.append(f"{path}: no queries")
    if problems:
        raise QueryFileError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems[:50]))
    return queries
