"""The ``actions:`` section of config.yml, typed: the business's own systems an answer may look things up in.

Each call is defined once (URL template, method, headers, inputs, timeout, retries) and named by KB
entries (``action: {name: …}``); docs/actions.md has the whole picture.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional, Tuple

from knowledge_base.errors import InvalidInput

METHODS = ("GET", "POST")
FAILURES = ("answer", "handoff")  # a failed lookup: the entry's generic answer, or a person
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ActionSpec:
    name: str = ""
    url: str = ""  # a template: http://orders.internal/api/orders/{order_number}
    method: str = "GET"  # POST sends the inputs as a JSON body
    headers: tuple = ()  # (name, value) pairs sent with every call
    inputs: tuple = ()  # what the call needs, each from the message's entities, the customer's signed attributes, or asked
    ask: tuple = ()  # (input, question) pairs: what to ask when an input is missing (请提供您的订单号)
    timeout_seconds: float = 2.0  # per attempt
    retries: int = 1  # attempts after the first, on a timeout, a refused connection or a 5xx
    backoff_seconds: float = 0.2  # before retry n: backoff · 2^(n-1)
    on_failure: str = "answer"  # answer | handoff
    changes: bool = False  # changes something (cancel, refund): only agents run it, within their role's limits
    limits: tuple = ()  # with ``changes``: (role, most ``limit_input`` it may run with); roles not named may not run it
    limit_input: str = ""  # the input the limits bound, e.g. amount

    def limit_for(self, role: str) -> Optional[float]:
        """The most ``limit_input`` a ``role`` may run this with (None: the role may not run it)."""
        return dict(self.limits).get(role)

    def question_for(self, name: str) -> str:
        return dict(self.ask).get(name) or f"请提供您的{name}"


@dataclass(frozen=True)
class ActionsConfig:
    calls: tuple = ()  # ActionSpec, one per action
    pool: int = 8  # lookups running at once per process; more fail at once (busy) instead of queueing
    secret_env: str = "FAQBOT_ACTIONS_SECRET"  # HMAC key of the calls' signature (handoff/webhooks.py's scheme)
    attributes_secret_env: str = "FAQBOT_ATTRIBUTES_SECRET"  # key the host backend signs customer attributes with
    breaker_failures: int = 5  # failures in a row that open an action's circuit …
    breaker_seconds: float = 30.0  # … for this long: calls fail at once, the service gets air
    entities: tuple = ()  # (kind, regex) pairs: numbers of the business's own shape, e.g. order_number
    demo_service: bool = False  # the demo shop's order service at /demo/orders/{number} (in-process)
    # Customer attributes fill lookups only when the host backend signed them (bot/actions/attributes.py);
    # true: unsigned ones too (the static demo shop page cannot sign; never on a page customers can edit).
    unsigned_attributes: bool = False
    attribute_inputs: tuple = ()  # (attribute, input) pairs: the page's recent_order fills order_number
    welcome_action: str = ""  # the welcome card shows the customer's recent order looked up with this action

    def call(self, name: str) -> Optional[ActionSpec]:
        return next((c for c in self.calls if c.name == name), None)


MAPPINGS = ("calls", "entities", "attribute_inputs")  # the keys of ``actions:`` that are mappings


def parse_mapping(name: str, value: Any, key: str, build: Callable[[type, Any, str], Any]) -> tuple:
    if name == "calls":
        return parse_calls(value, key, build)
    return parse_entities(value, key) if name == "entities" else _text_pairs(value, key)


def parse_calls(value: Any, key: str, build: Callable[[type, Any, str], Any]) -> Tuple[ActionSpec, ...]:
    """``calls: {name: {url: …}}`` (or the list a saved config writes back) → ActionSpecs, checked."""
    if isinstance(value, list):
        value = {item.get("name"): {k: v for k, v in item.items() if k != "name"} for item in value
                 if isinstance(item, dict)}
    if not isinstance(value, dict):
        raise InvalidInput(f"{key}: expected a mapping of action name to its call")
    specs = []
    for name, spec in value.items():
        where = f"{key}.{name}"
        if not isinstance(spec, dict):
            raise InvalidInput(f"{where}: expected a mapping (url, method, inputs …)")
        spec = dict(spec)
        headers, ask = (_text_pairs(spec.pop(k, None), f"{where}.{k}") for k in ("headers", "ask"))
        limits = _limits(spec.pop("limits", None), f"{where}.limits")
        built = build(_Plain, spec, where)
        specs.append(_checked(ActionSpec(name=str(name), headers=headers, ask=ask, limits=limits,
                                         **{f.name: getattr(built, f.name) for f in fields(_Plain)}), where))
    return tuple(specs)


def parse_entities(value: Any, key: str) -> tuple:
    pairs = _text_pairs(value, key)
    for kind, pattern in pairs:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInput(f"{key}.{kind}: not a regular expression: {exc}") from exc
    return pairs


@dataclass(frozen=True)
class _Plain:
    """The fields of ActionSpec that config's generic parser types (the rest are mappings)."""
    url: str = ""
    method: str = "GET"
    inputs: tuple = ()
    timeout_seconds: float = 2.0
    retries: int = 1
    backoff_seconds: float = 0.2
    on_failure: str = "answer"
    changes: bool = False
    limit_input: str = ""


def _checked(spec: ActionSpec, where: str) -> ActionSpec:
    if not spec.url.startswith(("http://", "https://")):
        raise InvalidInput(f"{where}.url: expected an http(s) URL template, got {spec.url!r}")
    if spec.method.upper() not in METHODS:
        raise InvalidInput(f"{where}.method: {spec.method!r}; use one of {METHODS}")
    if spec.on_failure not in FAILURES:
        raise InvalidInput(f"{where}.on_failure: {spec.on_failure!r}; use one of {FAILURES}")
    if spec.limit_input and spec.limit_input not in spec.inputs:
        raise InvalidInput(f"{where}.limit_input: {spec.limit_input!r} is not among its inputs {list(spec.inputs)}")
    if spec.limits and not spec.changes:
        raise InvalidInput(f"{where}.limits: only an action that changes something (changes: true) has role limits")
    missing = sorted(set(_PLACEHOLDER.findall(spec.url)) - set(spec.inputs))
    if missing:
        raise InvalidInput(f"{where}.url: {missing} are not among its inputs {list(spec.inputs)}")
    if not 0.05 <= spec.timeout_seconds <= 60 or not 0 <= spec.retries <= 5 or not 0 <= spec.backoff_seconds <= 10:
        raise InvalidInput(f"{where}: timeout_seconds in [0.05, 60], retries in [0, 5], backoff_seconds in [0, 10]")
    return ActionSpec(**{**spec.__dict__, "method": spec.method.upper(), "inputs": tuple(map(str, spec.inputs))})


def _limits(value: Any, key: str) -> tuple:
    """``{agent: 200, supervisor: 2000}`` → ((role, amount), …)."""
    if isinstance(value, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        value = dict(value)  # the form a saved config (to_dict) writes back
    pairs = tuple(value.items()) if isinstance(value, dict) else _text_pairs(value, key)
    try:
        return tuple((str(role), float(amount)) for role, amount in pairs)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{key}: expected a mapping of role to the most it may run with") from exc


def _text_pairs(value: Any, key: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        value = dict(value)  # the form a saved config (to_dict) writes back
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float)) for v in value.values()):
        raise InvalidInput(f"{key}: expected a mapping of name to text")
    return tuple((str(k), str(v)) for k, v in value.items())
