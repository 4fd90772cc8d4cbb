"""Labelled query files: faqbot's JSONL contract (``{"text", "expected_id": id | null}``), Rasa NLU
YAML test data, CLINC150 JSON or a text,label CSV (see ``readers``), validated the same way.

A JSONL line may also say what a good bot decides (``expected_decision``: answer | clarify |
fallback | handoff, with the right entries in ``expected_ids``), the message's ``class`` and its
``id``; and it may refer to a recorded session's turn (``"ref": {"session_id", "turn"}``) instead of
holding the text, which is then read from the sessions sample (``handoff.session_refs``)."""
from __future__ import annotations

from dataclasses import dataclass

from handoff.session_refs import ReferenceError, SessionTexts
from training.query_readers import ReaderError, Row, label_resolver, read_rows
from knowledge_base.errors import InvalidInput

DECISIONS = ("answer", "clarify", "fallback", "handoff")


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    expected_id: str | None
    id: str = ""
    kind: str = ""  # the message's class ("typo", "multi_question" …), for per-class numbers
    expected_decision: str | None = None  # None: the file says only which entry answers
    expected_ids: tuple[str, ...] = ()  # every right entry (several for a multi-question message)

    @property
    def right_entries(self) -> tuple[str, ...]:
        """Every right entry: ``expected_ids``, or else the one ``expected_id``."""
        return self.expected_ids or ((self.expected_id,) if self.expected_id else ())


class QueryFileError(InvalidInput):
    pass


def load_queries(path, known_ids=None, sessions=None) -> list[LabelledQuery]:
    """Every query of ``path``; a file with any bad row is refused with every problem's file and line.
    ``sessions``: the sessions sample that ``ref`` rows point into (default: found near ``path``)."""
    try:
        rows, oos_labels, problems = read_rows(path)
    except ReaderError as exc:
        raise QueryFileError(str(exc)) from exc
    resolve = label_resolver(known_ids)
    texts = SessionTexts.near(path, sessions)
    queries = []
    for row in rows:
        text = _text(row, texts)
        if not isinstance(text, str):
            problems.append(f"{row.where}: text: missing or not text")
        elif not row.has_label:
            problems.append(f"{row.where}: expected_id: missing (use null for a question the KB must not answer)")
        elif row.label is None or (str(row.label) in oos_labels and resolve(str(row.label)) is None):
            queries.append(_labelled(row, text, None, resolve, problems))
        elif resolve(str(row.label)) is None:
            problems.append(f"{row.where}: expected_id: {row.label!r} is not an entry of the knowledge base")
        else:
            queries.append(_labelled(row, text, resolve(str(row.label)), resolve, problems))
    if not queries and not problems:
        problems.append(f"{path}: no queries")
    if problems:
        raise QueryFileError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems[:50]))
    return queries


def _text(row: Row, texts: SessionTexts):
    if row.text is not None or "ref" not in row.fields:
        return row.text
    try:
        return texts.text(row.fields["ref"], row.where)
    except ReferenceError as exc:
        raise QueryFileError(str(exc)) from exc


def _labelled(row: Row, text: str, expected: str | None, resolve, problems: list[str]) -> LabelledQuery:
    """The query with its decision labels, each checked (a problem is noted, the query kept)."""
    decision = row.fields.get("expected_decision")
    if decision is not None and decision not in DECISIONS:
        problems.append(f"{row.where}: expected_decision: {decision!r} is not one of {', '.join(DECISIONS)}")
    ids = row.fields.get("expected_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        problems.append(f"{row.where}: expected_ids: expected a list of entry ids")
        ids = []
    unknown = [i for i in ids if resolve(i) is None]
    if unknown:
        problems.append(f"{row.where}: expected_ids: {unknown} not entries of the knowledge base")
    return LabelledQuery(text, expected, str(row.fields.get("id") or ""), str(row.fields.get("class") or ""),
                         decision, tuple(resolve(i) or i for i in ids))
