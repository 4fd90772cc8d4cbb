"""YAML from files people upload: aliases refused and nesting bounded, each refusal naming its line.

``yaml.safe_load`` is safe from code execution, not from size: nine levels of ``&a [*b, *b, …]``
fit in 455 bytes and expand to billions of values once anything walks them (a "billion laughs"),
and a few thousand ``[`` exhaust the composer's stack. A knowledge base needs neither.
"""
from __future__ import annotations

from typing import Any, Optional

import yaml

MAX_DEPTH = 32


class RefusedYAML(yaml.MarkedYAMLError):
    """Valid YAML that an import does not accept (an alias, or nesting past the bound)."""

    def __init__(self, problem: str, mark):
        super().__init__(problem=problem, problem_mark=mark)

    def __str__(self) -> str:
        return self.problem


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, text: str, max_depth: int):
        super().__init__(text)
        self.max_depth = max_depth
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYAML(f"aliases (*{event.anchor}) are not accepted in an imported file: write the "
                              f"value out where it is used", event.start_mark)
        if self.depth >= self.max_depth:
            raise RefusedYAML(f"nested deeper than {self.max_depth} levels", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose(text: str, max_depth: int = MAX_DEPTH) -> Optional[yaml.Node]:
    """The document's node tree (None when empty), which keeps every key's line for error messages."""
    loader = _BoundedLoader(text, max_depth)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The document as Python values, like ``yaml.safe_load`` within the bounds."""
    return to_python(compose(text, max_depth))


def to_python(node: Optional[yaml.Node]) -> Any:
    """Python values of a node from ``compose`` (without writing it out and parsing it again)."""
    if node is None:
        return None
    return yaml.SafeLoader("").construct_document(node)


def line_of(error: yaml.YAMLError) -> int:
    """The 1-based line a YAML error points at, or 0."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark else 0


def describe(error: yaml.YAMLError) -> str:
    """What a trainer reads: the refusal's reason, or the parser's complaint."""
    return str(error) if isinstance(error, RefusedYAML) else f"not valid YAML: {error}"
