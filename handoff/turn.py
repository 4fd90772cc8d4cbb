"""What transfer rules see: the conversation's turns so far and the world around the current one."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional, Protocol, Tuple

from knowledge_base.entry import Entry


@dataclass
class Turn:
    """One customer message and what the bot made of it."""
    text: str
    decision: str = "fallback"
    entry_id: Optional[str] = None
    picked: bool = False  # the message picked one of the offered options
    emotion: float = 0.0
    person: float = 0.0  # how sure the bot is that the message asks for a person (handoff.human_request)


class QueueState(Protocol):
    def online(self, group: str) -> int: ...

    def waiting(self, group: str) -> int: ...


class NoQueue:
    """Queue state when nobody runs an agent desk (replays, explain): one agent online, nobody waiting."""

    def online(self, group: str) -> int:
        return 1

    def waiting(self, group: str) -> int:
        return 0


@dataclass
class TurnContext:
    turns: List[Turn]  # the conversation so far, the current turn last
    entry: Optional[Entry]
    attributes: dict
    channel: str
    now: datetime
    hours: "object"
    queue: QueueState = field(default_factory=NoQueue)
    candidates: Tuple[Tuple[Entry, float], ...] = ()  # the bot's ranking of the message: what it is about
    lookup: Optional[dict] = None  # what the answer looked up this turn (bot/actions: inputs, outcome, result)

    @property
    def text(self) -> str:
        return self.turns[-1].text

    @property
    def decision(self) -> str:
        return self.turns[-1].decision
