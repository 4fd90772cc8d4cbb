"""Agents run the same lookups the bot does from their workspace — and the actions that change
something (cancel an order, start a refund), within their role's limits, each written to the audit log.

A refund bounded per role (``limits: {agent: 200, supervisor: 2000}`` over ``limit_input: amount``)
is refused for more, and the refusal is audited too: who tried what is on record either way.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional

from bot.action_settings import ActionSpec
from bot.actions.lookups import Lookups
from bot.store import ConversationStore
from knowledge_base.errors import Forbidden, InvalidInput, NotFound
from bot.store.audit_trail import record

MAX_INPUT_CHARS = 200


class AgentActions:
    def __init__(self, lookups: Optional[Lookups], store: ConversationStore):
        self.lookups = lookups
        self.store = store

    def available(self, agent: dict) -> List[dict]:
        """The actions this agent may run: every lookup, and the changes their role has a limit for."""
        calls = self.lookups.config.calls if self.lookups else ()
        return [{"name": c.name, "inputs": list(c.inputs), "changes": c.changes, "limit_input": c.limit_input,
                 "limit": c.limit_for(agent["role"]) if c.changes else None}
                for c in calls if not c.changes or c.limit_for(agent["role"]) is not None]

    def run(self, agent: dict, name: str, given: Mapping[str, object], handoff_id: Optional[int] = None) -> dict:
        spec = self.lookups.config.call(name) if self.lookups else None
        if spec is None:
            raise NotFound(f"no action {name!r} in config.yml's actions.calls")
        inputs = _inputs(spec, given)
        target = f"handoff:{handoff_id}" if handoff_id is not None else f"action:{name}"
        if spec.changes:
            refused = _refusal(spec, agent["role"], inputs)
            if refused:
                self._audit(agent, f"action.refused.{name}", target, {"inputs": inputs, "why": refused})
                raise Forbidden(refused)
        lookup = self.lookups.run(name, inputs).to_dict()
        if spec.changes:
            self._audit(agent, f"action.{name}", target, lookup)
        return lookup

    def _audit(self, agent: dict, action: str, target: str, details: dict) -> None:
        with self.store.engine.begin() as conn:
            record(conn, agent["username"], action[:32], target, details)


def _inputs(spec: ActionSpec, given: Mapping[str, object]) -> Dict[str, str]:
    inputs = {n: str(given.get(n, "")).strip()[:MAX_INPUT_CHARS] for n in spec.inputs}
    missing = [n for n, v in inputs.items() if not v]
    if missing:
        raise InvalidInput(f"action {spec.name} needs {missing}")
    return inputs


def _refusal(spec: ActionSpec, role: str, inputs: Dict[str, str]) -> str:
    """Why ``role`` may not run ``spec`` with ``inputs`` ("" when it may)."""
    limit = spec.limit_for(role)
    if limit is None:
        return f"角色 {role} 不能执行 {spec.name}（the role may not run this action）"
    if not spec.limit_input:
        return ""
    try:
        amount = float(inputs[spec.limit_input])
    except ValueError:
        raise InvalidInput(f"{spec.limit_input}: expected a number, got {inputs[spec.limit_input]!r}") from None
    if amount > limit:
        return f"{spec.limit_input} {amount:g} 超过角色 {role} 的上限 {limit:g}（over the role's limit）"
    return ""
