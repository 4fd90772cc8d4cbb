"""Customer words by reference into recorded sessions (the JD customer-service sample).

Labelled sets keep ``(session_id, turn)`` instead of the customers' words, which may not be copied
into the repository; the text is read from the sample when a set is evaluated.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from knowledge_base.errors import InvalidInput

SAMPLE = Path("shared/datasets/jddc-sessions-sample/sessions.jsonl")  # beside the repository (CI: ../shared)
PLACEHOLDER = re.compile(r"\[[^\[\]]*x\]")  # the sample's anonymisation: [数字x], [订单x], [姓名x], [链接x] …


class ReferenceError(InvalidInput):
    """A reference that cannot be resolved: the sample is missing, or has no such session or turn."""


def blank_placeholders(text: str) -> str:
    """The sample's placeholders are artefacts of the data set, not words a customer typed."""
    return " ".join(PLACEHOLDER.sub(" ", text).split())


class SessionTexts:
    """The sessions of one sample file, read on the first reference (a set without references never needs it)."""

    def __init__(self, path: Path | None, looked_near: Path | None = None):
        self.path = path
        self.looked_near = looked_near
        self._sessions: dict[str, list] | None = None

    @classmethod
    def near(cls, data_file, given=None) -> SessionTexts:
        """``given``, or the sample beside the nearest folder above ``data_file`` that has it."""
        if given is not None:
            return cls(Path(given))
        start = Path(data_file).resolve()
        found = next((folder / SAMPLE for folder in start.parents if (folder / SAMPLE).is_file()), None)
        return cls(found, start)

    def text(self, ref, where: str) -> str:
        """The words of ``ref`` (``{"session_id", "turn"}``), placeholders blanked."""
        if not isinstance(ref, dict) or not isinstance(ref.get("session_id"), str) or \
                not isinstance(ref.get("turn"), int):
            raise ReferenceError(f"{where}: ref: expected {{\"session_id\": text, \"turn\": number}}")
        turns = self._load().get(ref["session_id"])
        if turns is None:
            raise ReferenceError(f"{where}: ref: no session {ref['session_id']} in {self.path}")
        if not 0 <= ref["turn"] < len(turns) or not isinstance(turns[ref["turn"]].get("text"), str):
            raise ReferenceError(f"{where}: ref: session {ref['session_id']} has no turn {ref['turn']}")
        return blank_placeholders(turns[ref["turn"]]["text"])

    def _load(self) -> dict[str, list]:
        if self._sessions is None:
            if self.path is None or not self.path.is_file():
                raise ReferenceError(self._missing())
            with self.path.open(encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
            self._sessions = {row["session_id"]: row["turns"] for row in rows}
        return self._sessions

    def _missing(self) -> str:
        where = f"{self.path} does not exist" if self.path is not None else \
            f"{SAMPLE} was not found beside any folder above {self.looked_near}"
        return (f"labelled texts refer to the JD customer-service sessions sample, but {where}; "
                f"put the sample there (CI: ../shared beside the repository) or name it with --sessions PATH")
