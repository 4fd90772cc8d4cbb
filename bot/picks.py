"""How a customer picks what the bot offered: a button's payload ("/select:<entry id>") or an option's number."""
from __future__ import annotations

SELECT_PREFIX = "/select:"  # a button payload: "/select:<entry id>" picks that entry
MAX_OPTION_DIGITS = 3  # "2" picks option 2; a longer number is an order number, not a pick


def select_payload(entry_id: str) -> str:
    return SELECT_PREFIX + entry_id


def is_pick(text: str) -> bool:
    """The message picks an offered option (by number or button) rather than asking something."""
    text = text.strip()
    return is_option_number(text) or text.startswith(SELECT_PREFIX)


def is_option_number(text: str) -> bool:
    return text.isdecimal() and len(text) <= MAX_OPTION_DIGITS
