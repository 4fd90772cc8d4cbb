"""The point where the bot's decision may become a hand-off to a human.

For now one rule: an entry flagged ``handoff: true`` (complaints, legal threats, stolen accounts)
is never answered by the bot alone. Configurable transfer rules plug in here later.
"""
from __future__ import annotations

import dataclasses

from bot.messages import message
from bot.reply import Reply
from knowledge_base.entry import Entry


class HandoffHook:
    def apply(self, reply: Reply, entry: Entry | None, language: str) -> Reply:
        if reply.decision == "answer" and entry is not None and entry.handoff:
            text = entry.answer_for() or message("handoff", language)
            return dataclasses.replace(reply, decision="handoff", text=text)
        return reply
