"""Masking personal data (phone, ID-card, bank-card numbers, e-mail) before text reaches a log."""
from __future__ import annotations

import logging
import re

_PATTERNS = [
    # mainland ID card: 17 digits + digit/X (checked before the longer digit runs of bank cards)
    (re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)"), r"\1********\2"),
    # bank card: 16–19 digits, optionally grouped by spaces or dashes
    (re.compile(r"(?<!\d)(\d{4})(?:[ -]?\d){8,11}([ -]?\d{4})(?!\d)"), r"\1 **** **** \2"),
    # mainland mobile phone (+86 optional)
    (re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)"), r"\1****\2"),
    # e-mail
    (re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"), r"\1***\2"),
]


_CONTACT = (_PATTERNS[2][0], _PATTERNS[3][0])  # a phone number or an e-mail address


def has_contact_details(text: str) -> bool:
    """The text gives a way to reach its writer (a mobile number or an e-mail address)."""
    return any(pattern.search(text) for pattern in _CONTACT)


def mask_pii(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal data in every record's message and arguments.

    Arguments stay arguments (masked one by one): formatters such as uvicorn's access log read them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.msg = mask_pii(str(record.msg))
            record.args = tuple(_masked(a) for a in record.args)
        else:
            record.msg = mask_pii(record.getMessage())
            record.args = ()
        return True


def _masked(value):
    """A str or int argument with personal data in it becomes its masked text; others are kept."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return value
    text = str(value)
    masked = mask_pii(text)
    return value if masked == text else masked
