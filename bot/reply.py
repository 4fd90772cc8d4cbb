"""What the bot says back, as plain data the CLI, HTTP layer and evaluators all read."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import List, Optional

DECISIONS = ("answer", "clarify", "fallback", "handoff")


@dataclass(frozen=True)
class Option:
    id: str
    question: str
    score: float = 0.0


@dataclass(frozen=True)
class ReplyPart:
    """One of several questions in a message, answered: the entry, its standard question, its answer,
    and ``text``, the answer labelled with its question (the reply's text joins them, a line each)."""
    entry_id: str
    question: str
    answer: str
    text: str


@dataclass(frozen=True)
class Reply:
    decision: str  # answer | clarify | fallback | handoff
    text: str
    entry_id: Optional[str] = None
    options: List[Option] = field(default_factory=list)
    related: List[Option] = field(default_factory=list)
    candidates: List[Option] = field(default_factory=list)
    confidence: float = 0.0
    latency_ms: float = 0.0
    handoff: Optional[dict] = None  # the routing when a person takes over: rule, reason, group, priority, ticket
    reasons: List[str] = field(default_factory=list)  # why this decision (bot.decision), for people to read
    parts: List[ReplyPart] = field(default_factory=list)  # several questions answered; ``text`` labels each
    lookup: Optional[dict] = None  # the entry's action run for this reply (bot/actions): inputs, outcome, result

    def to_dict(self) -> dict:
        """Plain data; ``answer`` repeats the text when the bot answered (None otherwise)."""
        data = asdict(self)
        data["answer"] = self.text if self.decision in ("answer", "handoff") else None
        return data
