"""The errors faqbot raises on purpose: one hierarchy for every layer, each with a stable ``code``.

It lives in the bottom package so every layer can raise from it. The HTTP layer maps the kinds to
statuses in one place (``bot/http/errors.py``); anything else that escapes is a bug, answered 500,
never "not found" or "invalid".
"""
from __future__ import annotations


class FaqbotError(Exception):
    """Base of every deliberate faqbot error."""

    code = "faqbot_error"

    def __str__(self) -> str:
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class InvalidInput(FaqbotError, ValueError):
    """What a person sent or wrote (a file, a setting, a request) is not valid: they can fix it."""

    code = "invalid"


class NotFound(FaqbotError, KeyError):
    """The thing named does not exist (or not any more)."""

    code = "not_found"


class Conflict(FaqbotError):
    """Refused in the current state: someone else changed it, or it is already done."""

    code = "conflict"


class Forbidden(FaqbotError, PermissionError):
    """Not yours, or not your role."""

    code = "forbidden"


class Unavailable(FaqbotError):
    """Temporarily unable to serve: retry later."""

    code = "unavailable"
