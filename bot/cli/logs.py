"""Logging set-up for the server: personal data never reaches a log line."""
from __future__ import annotations

import logging

from bot.privacy import MaskingFilter

MASKED_LOGGERS = ("uvicorn.access", "uvicorn.error")  # request lines carry query strings (/api/suggest?q=…)


def mask_access_log() -> None:
    """Mask phone, ID-card, bank-card numbers and e-mails in uvicorn's request and error logs."""
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
