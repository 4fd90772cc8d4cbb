"""Answer templates: ``您的订单 {order_number} {status}，{carrier}承运，预计 {eta} 送达`` filled with a lookup's result.

Filling is one pass over the template: a value holding ``{status}`` stays that text, never expands.
Values are escaped for a chat line: control characters and line breaks become spaces (a result
cannot forge extra lines), and each is cut to MAX_VALUE_CHARS. ``{{`` and ``}}`` are literal braces.
"""
from __future__ import annotations

import re
from typing import Mapping

MAX_VALUE_CHARS = 200
MISSING = "—"  # a field the template names that the result does not have
_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def render(template: str, values: Mapping[str, object]) -> str:
    def fill(match: re.Match) -> str:
        if match.group(1) is None:
            return match.group()[0]
        value = values.get(match.group(1))
        return escape(value) if value not in (None, "") else MISSING

    return _FIELD.sub(fill, template)


def escape(value: object) -> str:
    text = "是" if value is True else "否" if value is False else str(value)
    return " ".join(_CONTROL.sub(" ", text).split())[:MAX_VALUE_CHARS]


def fields_of(template: str) -> list:
    """The result fields a template uses (the workbench shows them)."""
    return [m.group(1) for m in _FIELD.finditer(template) if m.group(1)]
