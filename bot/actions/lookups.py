"""An entry's answer looked up: inputs found (or asked for), the action called, its result worded.

What the conversation (bot/service/chat.py), the agents' workspace and the trainers' 测试窗 all use,
so a lookup reads the same wherever it runs. A lookup that fails is said politely, followed by the
entry's own (generic) answer or — ``on_failure: handoff`` — a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional

from bot.action_settings import ActionsConfig, ActionSpec
from bot.actions.attributes import trusted_attributes
from bot.actions.breaker import CircuitBreaker
from bot.actions.caller import ActionCaller, Lookup
from bot.actions.inputs import InputFinder
from bot.actions.template import render
from bot.messages import message
from knowledge_base.entry import Entry

_CANCEL = re.compile(r"^(?:取消|算了|不用了?|不查了|不用查了|不要了|先不查了?|cancel|never ?mind|stop)[\s。.!！~]*$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Pending:
    """A lookup waiting for the customer to give ``missing`` (one slot-filling turn)."""
    entry_id: str
    found: Dict[str, str]
    missing: str

    def to_dict(self) -> dict:
        """As the reply (and the stored message) carries it, so any worker reads the next message for it."""
        return {"outcome": "asked", "entry_id": self.entry_id, "inputs": self.found, "asked": self.missing}

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> Optional["Pending"]:
        if not data or data.get("outcome") != "asked":
            return None
        return cls(str(data["entry_id"]), dict(data.get("inputs") or {}), str(data["asked"]))


@dataclass(frozen=True)
class Outcome:
    kind: str  # answered | not_found | failed | ask | cancelled
    text: str
    lookup: Optional[Lookup] = None
    pending: Optional[Pending] = None
    handoff: bool = False  # failed, and the action says a person takes over


class Lookups:
    def __init__(self, config: ActionsConfig, caller: ActionCaller, attributes_secret: str = ""):
        self.config = config
        self.caller = caller
        self.attributes_secret = attributes_secret
        self.finder = InputFinder(config.entities)

    @classmethod
    def build(cls, config: ActionsConfig, secret: str = "",
              counted: Callable[[str, str], None] = lambda action, outcome: None,
              attributes_secret: str = "") -> "Lookups":
        breaker = CircuitBreaker(config.breaker_failures, config.breaker_seconds)
        return cls(config, ActionCaller(secret, config.pool, breaker, counted), attributes_secret)

    def trusted(self, attributes: Optional[Mapping[str, object]]) -> Dict[str, object]:
        """The customer attributes lookups may read (signed by the host backend), named as inputs too."""
        trusted = trusted_attributes(attributes, self.attributes_secret, self.config.unsigned_attributes)
        return dict(trusted, **{i: trusted[a] for a, i in self.config.attribute_inputs if a in trusted and i not in trusted})

    def welcome(self, attributes: Optional[Mapping[str, object]], language: str = "zh") -> Optional[dict]:
        """The welcome card's line about the customer's recent order ("您最近的订单 … 已发货，想咨询这个订单吗？"),
        looked up with ``welcome_action`` from trusted attributes; None when there is nothing to say."""
        spec = self.config.call(self.config.welcome_action) if self.config.welcome_action else None
        trusted = self.trusted(attributes)
        if spec is None or spec.changes or not all(trusted.get(n) not in (None, "") for n in spec.inputs):
            return None
        lookup = self.caller.call(spec, {n: str(trusted[n]) for n in spec.inputs})
        if not lookup.ok:
            return None
        shown = "、".join(lookup.inputs.values())
        return {"text": message("recent_order", language, value=shown, status=render("{status}", lookup.result)),
                "question": message("recent_order_question", language, value=shown), "lookup": lookup.to_dict()}

    def spec_for(self, entry: Entry) -> Optional[ActionSpec]:
        """The action ``entry`` names, when config.yml defines it (an undefined one: the plain answer)."""
        return self.config.call(str(entry.action.get("name", ""))) if entry.action else None

    def answer(self, entry: Entry, text: str, attributes: Mapping[str, object], channel: str = "default",
               language: str = "zh", found: Optional[Dict[str, str]] = None) -> Optional[Outcome]:
        """``entry``'s answer to ``text`` looked up (None: the entry looks nothing up): inputs from the
        message and ``attributes`` (after ``found`` ones); the first missing one asked for."""
        spec = self.spec_for(entry)
        if spec is None or spec.changes:
            return None
        given, missing = self.finder.fill([n for n in spec.inputs if n not in (found or {})], text,
                                          self.trusted(attributes))
        inputs = dict(found or {}, **given)
        if missing:
            return Outcome("ask", spec.question_for(missing[0]), pending=Pending(entry.id, inputs, missing[0]))
        return self.worded(entry, spec, self.caller.call(spec, inputs), channel, language)

    def resume(self, pending: Pending, entry: Entry, text: str, attributes: Mapping[str, object],
               channel: str = "default", language: str = "zh") -> Optional[Outcome]:
        """The customer's reply to the question asking for ``pending.missing``: the lookup (or the next
        question), ``cancelled``, or None — the message is about something else, and answered as such."""
        if _CANCEL.match(text.strip()):
            return Outcome("cancelled", message("lookup_cancelled", language))
        if self.finder.in_message(pending.missing, text) is None:
            return None
        return self.answer(entry, text, attributes, channel, language, pending.found)

    def run(self, name: str, inputs: Dict[str, str]) -> Lookup:
        """An action run as it is (agents' workspace, the trainers' 测试窗); KeyError if undefined."""
        spec = self.config.call(name)
        if spec is None:
            raise KeyError(name)
        return self.caller.call(spec, inputs)

    def worded(self, entry: Entry, spec: ActionSpec, lookup: Lookup, channel: str, language: str) -> Outcome:
        if lookup.ok:
            values = dict(lookup.inputs, **lookup.result)
            return Outcome("answered", render(entry.action_template(channel, language), values), lookup)
        if lookup.outcome == "not_found":
            shown = "、".join(lookup.inputs.values())
            return Outcome("not_found", message("lookup_not_found", language, value=shown), lookup)
        sorry = message("lookup_failed", language)
        if spec.on_failure == "handoff":
            return Outcome("failed", sorry, lookup, handoff=True)
        generic = entry.answer_for(channel, language)
        return Outcome("failed", f"{sorry}\n{generic}" if generic else sorry, lookup)
