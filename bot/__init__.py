"""faqbot runtime. ``import bot`` is cheap: heavy parts load on first use."""
from __future__ import annotations

__all__ = ["Bot", "Reply", "load_config"]


def __getattr__(name):
    if name == "Bot":
        from .engine import Bot

        return Bot
    if name == "Reply":
        from .reply import Reply

        return Reply
    if name == "load_config":
        from .config import load_config

        return load_config
    raise AttributeError(name)
