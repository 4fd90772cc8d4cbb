"""Masking personal data (phone, ID-card, bank-card numbers, e-mail) before text reaches a log or a
trainer's screen.

Numbers are found however they were typed or carried: full-width (１３８…), spaced or dashed in
any grouping, and percent-encoded in a URL (the widget's ``/api/suggest?q=`` is in the access log).
"""
from __future__ import annotations

import logging
import re
import string
from urllib.parse import quote, unquote

_SEP = "[ -]?"  # one space or dash between any two digits: 138 1234 5678, 6222-0212-…
_DIGITS = re.compile(r"[^\dXx]")
# mainland ID card: 17 digits + digit/X (checked before the digit runs of bank cards)
_ID_CARD = re.compile(rf"(?<![\d])\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?!{_SEP}\d)")
# bank card: 16–19 digits, however grouped
_BANK_CARD = re.compile(rf"(?<![\d])\d(?:{_SEP}\d){{15,18}}(?!{_SEP}\d)")
# mainland mobile phone (+86 optional)
_PHONE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PATTERNS = [
    (_ID_CARD, lambda m: _compact(m)[:6] + "********" + _compact(m)[-4:]),
    (_BANK_CARD, lambda m: _compact(m)[:4] + " **** **** " + _compact(m)[-4:]),
    (_PHONE, r"\1****\2"),
    (_EMAIL, r"\1***\2"),
]
# full-width digits, letters and the signs numbers and addresses use (not the ，？！ of Chinese text)
_HALF_WIDTH = {0x3000: " ", **{ord(c): chr(ord(c) - 0xFEE0) for c in
                               "０１２３４５６７８９＋－．＠＿％" + "".join(map(chr, range(0xFF21, 0xFF3B)))
                               + "".join(map(chr, range(0xFF41, 0xFF5B)))}}
_ENCODED_RUN = re.compile(r"[^\s\"']*%[0-9A-Fa-f]{2}[^\s\"']*")  # a URL (or part) with %XX escapes
_URL_SAFE = "".join(c for c in string.printable if not c.isspace() and c not in "%\"'")


def _compact(match: re.Match) -> str:
    return _DIGITS.sub("", match.group())


def has_contact_details(text: str) -> bool:
    """The text gives a way to reach its writer (a mobile number or an e-mail address)."""
    folded = text.translate(_HALF_WIDTH)
    return bool(_PHONE.search(folded) or _EMAIL.search(folded))


def contact_details(text: str) -> list:
    """The mobile numbers and e-mail addresses ``text`` gives (digits compacted), in order."""
    folded = text.translate(_HALF_WIDTH)
    phones = [_DIGITS.sub("", m.group())[-11:] for m in _PHONE.finditer(folded)]
    return phones + [m.group() for m in _EMAIL.finditer(folded)]


def mask_pii(text: str) -> str:
    """``text`` with personal data masked; text without any comes back unchanged."""
    return _mask_plain(_ENCODED_RUN.sub(_mask_encoded, text))


def _mask_plain(text: str) -> str:
    """Full-width characters are read as their ASCII twins; text with nothing to mask keeps its own."""
    folded = text.translate(_HALF_WIDTH)
    masked = folded
    for pattern, replacement in _PATTERNS:
        masked = pattern.sub(replacement, masked)
    return text if masked == folded else masked


def _mask_encoded(run: re.Match) -> str:
    """A percent-encoded run is masked decoded (%20 between digits, %40 for @, UTF-8 before them)
    and encoded again, so the log line keeps its shape and no decoded newline forges another."""
    encoded = run.group()
    decoded = unquote(encoded.replace("+", " "), errors="surrogateescape")
    masked = _mask_plain(decoded)
    return encoded if masked == decoded else quote(masked, safe=_URL_SAFE, errors="surrogateescape")


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
