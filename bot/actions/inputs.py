"""Where a lookup's inputs come from: the message, the customer's signed attributes, or a question.

An input is named as the business names it (``order_number``, ``phone``). The message is read for it
first — by the pattern config.yml gives that name (``actions.entities``), else by the numbers faqbot
finds anyway (knowledge_base/text/entities.py: ``phone``, ``tracking_number``) — in NFKC, so
full-width digits (２０２６…) are ordinary digits. Then the attributes the host page passed, when its
backend signed them (bot/actions/attributes.py). What is still missing is asked for.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Mapping, Optional, Sequence, Tuple

from knowledge_base.text.entities import find_entities


class InputFinder:
    def __init__(self, patterns: Sequence[Tuple[str, str]] = ()):
        self.patterns = {kind: re.compile(pattern) for kind, pattern in patterns}

    def in_message(self, name: str, text: str) -> Optional[str]:
        """The value of input ``name`` the message gives, if any."""
        folded = unicodedata.normalize("NFKC", text or "")
        pattern = self.patterns.get(name)
        if pattern is not None:
            found = pattern.search(folded)
            return (found.group(1) if found and found.groups() else found.group()) if found else None
        return next((e.value for e in find_entities(folded) if e.kind == name), None)

    def fill(self, names: Sequence[str], text: str, attributes: Mapping[str, object]) -> Tuple[Dict[str, str], list]:
        """(the inputs found, the names still missing): the message first, then the signed attributes."""
        found, missing = {}, []
        for name in names:
            value = self.in_message(name, text)
            if value is None and attributes.get(name) not in (None, ""):
                value = str(attributes[name])
            if value is None:
                missing.append(name)
            else:
                found[name] = value
        return found, missing
