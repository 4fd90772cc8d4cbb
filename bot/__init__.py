"""faqbot runtime. ``import bot`` is cheap: heavy parts load on first use."""
from __future__ import annotations

__all__ = ["Bot", "Reply", "load_config"]


def __getattr__(name):
    if name == "Bot":
        from bot.engine import Bot

        return Bot
    if name == "Reply":
        from bot.reply import Reply

        return Reply
    if name == "load_config":
        from bot.config import load_config

        return load_config
    raise AttributeError(name)
