"""Transfer rules: an ordered list of (conditions → action), declared in config.yml or a rules file.

The first rule whose conditions hold on a turn fires. Rules are parsed and checked once, at load:
a typo in a condition name, a wrong value type or an unknown skill group is an error naming its
place (``handoff.rules[2].when.any[0]``), never a rule that silently never fires.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from handoff import conditions as c
from handoff.turn import TurnContext
from knowledge_base.errors import InvalidInput

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.yml")
PRIORITIES = range(0, 10)


class RuleError(InvalidInput):
    pass


@dataclass(frozen=True)
class Action:
    """Route to a skill group with a priority (higher = served first) and what the customer is told."""
    group: str = "general"
    priority: int = 1
    message: Dict[str, str] = field(default_factory=dict)  # language → text; empty: the built-in wording
    ticket: bool = False  # only offer to leave a message (e.g. a rule for nights and holidays)
    by_topic: bool = False  # route by what the message is about (handoff.topic_groups), e.g. 接售后 冰箱坏了


@dataclass(frozen=True)
class Rule:
    name: str
    condition: c.Condition
    action: Action

    def check(self, ctx: TurnContext) -> Tuple[bool, str]:
        return self.condition.check(ctx)


@dataclass(frozen=True)
class Firing:
    rule: Rule
    reason: str


class RuleSet:
    def __init__(self, rules: Sequence[Rule]):
        self.rules = tuple(rules)

    def first(self, ctx: TurnContext) -> Optional[Firing]:
        for rule in self.rules:
            fired, reason = rule.check(ctx)
            if fired:
                return Firing(rule, reason)
        return None

    def explain(self, ctx: TurnContext) -> List[Tuple[Rule, bool, str]]:
        """Every rule's verdict on this turn, in order (for `faqbot handoff explain`)."""
        return [(rule, *rule.check(ctx)) for rule in self.rules]

    @property
    def groups(self) -> List[str]:
        return sorted({r.action.group for r in self.rules})

    @classmethod
    def parse(cls, data: Sequence, groups: Sequence[str], where: str = "handoff.rules") -> "RuleSet":
        if not isinstance(data, (list, tuple)):
            raise RuleError(f"{where}: expected a list of rules")
        rules = [_rule(item, f"{where}[{n}]", groups) for n, item in enumerate(data)]
        names = [r.name for r in rules]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise RuleError(f"{where}: two rules are named {duplicate!r}; names must be unique")
        return cls(rules)

    @classmethod
    def from_file(cls, path: Path, groups: Sequence[str]) -> "RuleSet":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RuleError(f"{path}: cannot read rules: {exc}") from exc
        rules = data.get("rules") if isinstance(data, dict) else data
        return cls.parse(rules, groups, f"{path}: rules")


def _rule(item, where: str, groups: Sequence[str]) -> Rule:
    if not isinstance(item, dict):
        raise RuleError(f"{where}: expected a mapping with name, when and then")
    _only(item, ("name", "when", "then"), where)
    for key in ("name", "when", "then"):
        if key not in item:
            raise RuleError(f"{where}: missing {key!r}")
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise RuleError(f"{where}.name: expected a non-empty name")
    return Rule(name, parse_condition(item["when"], f"{where}.when"), _action(item["then"], f"{where}.then", groups))


def _action(data, where: str, groups: Sequence[str]) -> Action:
    if not isinstance(data, dict):
        raise RuleError(f"{where}: expected a mapping like {{group: general, priority: 1}}")
    _only(data, ("group", "priority", "message", "ticket", "by_topic"), where)
    group = data.get("group", "general")
    if group not in groups:
        raise RuleError(f"{where}.group: {group!r} is not a skill group; handoff.groups has {list(groups)}")
    priority = data.get("priority", 1)
    if not isinstance(priority, int) or isinstance(priority, bool) or priority not in PRIORITIES:
        raise RuleError(f"{where}.priority: expected a whole number 0–9, got {priority!r}")
    message = data.get("message") or {}
    if isinstance(message, str):
        message = {"zh": message, "en": message}
    if not isinstance(message, dict) or not all(isinstance(v, str) for v in message.values()):
        raise RuleError(f"{where}.message: expected text or {{zh: …, en: …}}")
    ticket, by_topic = (_flag(data.get(key, False), f"{where}.{key}") for key in ("ticket", "by_topic"))
    return Action(group, priority, dict(message), ticket, by_topic)


def parse_condition(data, where: str) -> c.Condition:
    """YAML → condition. A list means all of its items."""
    if isinstance(data, list):
        return c.All(tuple(parse_condition(d, f"{where}[{n}]") for n, d in enumerate(data)))
    if not isinstance(data, dict) or len(data) != 1:
        raise RuleError(f"{where}: expected one condition like {{fallbacks_in_a_row: 2}}; "
                        f"known conditions: {sorted(BUILDERS)}")
    (name, value), = data.items()
    if name not in BUILDERS:
        raise RuleError(f"{where}: unknown condition {name!r}; known conditions: {sorted(BUILDERS)}")
    return BUILDERS[name](value, f"{where}.{name}")


def _only(data: dict, allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {unknown}; allowed: {list(allowed)}")


def _count(value, where: str, low: int = 1) -> int:
    if value is True:
        return 2
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise RuleError(f"{where}: expected a whole number ≥ {low}, got {value!r}")
    return value


def _score(value, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise RuleError(f"{where}: expected a number between 0 and 1, got {value!r}")
    return float(value)


def _emotion_threshold(value, where: str) -> float:
    """``default``: the emotion scorer's own threshold (measured in docs/benchmarks.md)."""
    if value == "default":
        from handoff.emotion import DEFAULT_THRESHOLD

        return DEFAULT_THRESHOLD
    return _score(value, where)


def _strings(value, where: str) -> Tuple[str, ...]:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise RuleError(f"{where}: expected text or a list of texts")
    return tuple(str(v) for v in value)


def _patterns(value, where: str, default: Sequence[str]) -> Tuple[re.Pattern, ...]:
    texts = default if value is True or value == "default" else _strings(value, where)
    out = []
    for n, text in enumerate(texts):
        try:
            out.append(re.compile(text))
        except re.error as exc:
            raise RuleError(f"{where}[{n}]: {text!r} is not a valid pattern: {exc}")
    return tuple(out)


def _request(value, where):
    if not isinstance(value, dict):
        value = {"patterns": value}
    _only(value, ("patterns", "extra", "except", "threshold"), where)
    base = _patterns(value.get("patterns", True), f"{where}.patterns", c.DEFAULT_REQUEST_PATTERNS)
    exceptions = _patterns(value.get("except", True), f"{where}.except", c.DEFAULT_REQUEST_EXCEPTIONS)
    return c.Request(base + _patterns(value.get("extra", []), f"{where}.extra", ()), exceptions,
                     _request_threshold(value.get("threshold", "default"), f"{where}.threshold"))


def _request_threshold(value, where: str) -> Optional[float]:
    """``default``: the human-request scorer's own threshold; ``off`` (or false): keywords only."""
    if value in ("off", False):
        return None
    if value == "default":
        from handoff.human_request import DEFAULT_THRESHOLD

        return DEFAULT_THRESHOLD
    return _score(value, where)


def _topic(value, where):
    if value is True or value == "default":
        value = {"patterns": True}
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected {{patterns: […], categories: […], entries: […]}}")
    _only(value, ("patterns", "categories", "entries"), where)
    return c.Topic(_patterns(value.get("patterns", []), f"{where}.patterns", c.DEFAULT_SENSITIVE_PATTERNS),
                   _strings(value.get("categories", []), f"{where}.categories"),
                   _strings(value.get("entries", []), f"{where}.entries"))


def _flag(value, where) -> bool:
    if not isinstance(value, bool):
        raise RuleError(f"{where}: expected true or false")
    return value


def _rising(value, where):
    value = {} if value is True else value
    if not isinstance(value, dict):
        raise RuleError(f"{where}: expected {{turns: 3, by: 0.3}}")
    _only(value, ("turns", "by"), where)
    return c.EmotionRising(_count(value.get("turns", 3), f"{where}.turns", 2), _score(value.get("by", 0.3), f"{where}.by"))


def _attribute(value, where):
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise RuleError(f"{where}: expected {{name: vip_level, at_least: 3}} (or equals: …, one_of: […])")
    _only(value, ("name", "equals", "one_of", "at_least"), where)
    tests = [k for k in ("equals", "one_of", "at_least") if k in value]
    if len(tests) != 1:
        raise RuleError(f"{where}: give exactly one of equals, one_of, at_least")
    at_least = value.get("at_least")
    if at_least is not None and (not isinstance(at_least, (int, float)) or isinstance(at_least, bool)):
        raise RuleError(f"{where}.at_least: expected a number, got {at_least!r}")
    one_of = value.get("one_of", [])
    if not isinstance(one_of, list):
        raise RuleError(f"{where}.one_of: expected a list")
    return c.Attribute(value["name"], value.get("equals"), tuple(one_of), at_least)


def _group_count(cls, key: str, low: int):
    def build(value, where):
        if not isinstance(value, dict) or not isinstance(value.get("group"), str):
            raise RuleError(f"{where}: expected {{group: general, {key}: {low}}}")
        _only(value, ("group", key), where)
        return cls(value["group"], _count(value.get(key, max(low, 1)), f"{where}.{key}", low))
    return build


def _decision(value, where):
    decisions = _strings(value, where)
    bad = [d for d in decisions if d not in ("answer", "clarify", "fallback", "handoff")]
    if bad:
        raise RuleError(f"{where}: unknown decision(s) {bad}; decisions are answer, clarify, fallback, handoff")
    return c.Decision(decisions)


def _combined(cls):
    def build(value, where):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{where}: expected a non-empty list of conditions")
        return cls(tuple(parse_condition(d, f"{where}[{n}]") for n, d in enumerate(value)))
    return build


BUILDERS: Dict[str, Callable[[object, str], c.Condition]] = {
    "request": _request,
    "topic": _topic,
    "entry_handoff": lambda v, w: c.EntryFlagged() if _flag(v, w) else c.Not(c.EntryFlagged()),
    "fallbacks_in_a_row": lambda v, w: c.FallbacksInARow(_count(v, w)),
    "repeated_question": lambda v, w: c.RepeatedQuestion(_count(v, w, 2)),
    "clarify_ignored": lambda v, w: c.ClarifyIgnored(_count(v, w)),
    "emotion_at_least": lambda v, w: c.EmotionAtLeast(_emotion_threshold(v, w)),
    "emotion_rising": _rising,
    "attribute": _attribute,
    "lookup": lambda v, w: c.LookupField(*(lambda a: (a.name, a.equals, a.one_of, a.at_least))(_attribute(v, w))),
    "channel": lambda v, w: c.Channel(_strings(v, w)),
    "business_hours": lambda v, w: c.InBusinessHours(_flag(v, w)),
    "agents_online": _group_count(c.AgentsOnline, "min", 0),
    "queue_at_least": _group_count(c.QueueAtLeast, "n", 1),
    "decision": _decision,
    "all": _combined(c.All),
    "any": _combined(c.Any),
    "not": lambda v, w: c.Not(parse_condition(v, w)),
}
