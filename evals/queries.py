"""Labelled query files: JSONL lines ``{"text", "expected_id": id | null}``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    expected_id: Optional[str]


class QueryFileError(ValueError):
    pass


def load_queries(path, known_ids=None) -> List[LabelledQuery]:
    path = Path(path)
    if not path.exists():
        raise QueryFileError(f"{path}: query file not found")
    queries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not valid JSON: {exc.msg}")
            continue
        text, expected = data.get("text") if isinstance(data, dict) else None, None
        if not isinstance(text, str):
            problems.append(f"{path}:{number}: text: missing or not text")
            continue
        if "expected_id" not in data:
            problems.append(f"{path}:{number}: expected_id: missing (use null for a question the KB must not answer)")
            continue
        expected = data["expected_id"]
        if expected is not None and known_ids is not None and str(expected) not in known_ids:
            problems.append(f"{path}:{number}: expected_id: {expected!r} is not an entry of the knowledge base")
            continue
        queries.append(LabelledQuery(text, None if expected is None else str(expected)))
    if not queries and not problems:
        problems.append(f"{path}: no queries")
    if problems:
        raise QueryFileError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems[:50]))
    return queries
