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


PERSON_PREFIX = "/person"  # the 转人工 button: "/person", or "/person:<skill group>" from the first-screen menu


def person_payload(group: str = "") -> str:
    return f"{PERSON_PREFIX}:{group}" if group else PERSON_PREFIX


def pressed_person(text: str):
    """The skill group a 转人工 button asks for ("" for any), or None when the message is no such button."""
    text = text.strip()
    if text == PERSON_PREFIX:
        return ""
    return text[len(PERSON_PREFIX) + 1:] if text.startswith(PERSON_PREFIX + ":") else None


def is_button(text: str) -> bool:
    """A payload a widget button sent (a pick, 转人工), not words the customer typed."""
    return text.strip().startswith(SELECT_PREFIX) or pressed_person(text) is not None
