"""A short message that leans on the previous answer ("那运费呢？", "what about returns?")."""
from __future__ import annotations

import re

FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|and |what about |how about )|呢[?？!！。.]*$", re.IGNORECASE)
FOLLOW_UP_MAX_CHARS = 15


def is_follow_up(text: str) -> bool:
    return len(text) <= FOLLOW_UP_MAX_CHARS and bool(FOLLOW_UP.search(text))
