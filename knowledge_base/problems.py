"""What is wrong with a knowledge-base file: every problem with its file, line and field."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List
from knowledge_base.errors import InvalidInput


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class KBValidationError(InvalidInput):
    """Raised with every problem found, so a trainer fixes a file in one pass."""

    code = "kb_invalid"

    def __init__(self, problems: List[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n{shown}{more}")
