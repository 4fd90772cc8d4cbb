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

    def to_dict(self) -> dict:
        """Plain data; ``answer`` repeats the text when the bot answered (None otherwise)."""
        data = asdict(self)
        data["answer"] = self.text if self.decision in ("answer", "handoff") else None
        return data
