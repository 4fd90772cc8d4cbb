"""A conversation in the terminal: numbered clarify options and related questions can be picked."""
from __future__ import annotations

import re
from typing import Callable, List, Optional

from .engine import Bot
from .reply import Option, Reply


SELECT_PREFIX = "/select:"  # a button payload: "/select:<entry id>" picks that entry
# "那运费呢？", "还有发票呢", "what about returns?": a short message that leans on the previous answer.
FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|and |what about |how about )|呢[?？!！。.]*$", re.IGNORECASE)
FOLLOW_UP_MAX_CHARS = 15


def select_payload(entry_id: str) -> str:
    return SELECT_PREFIX + entry_id


class ChatSession:
    """Remembers the options last shown, so typing "2" (or sending a button's payload) picks one."""

    def __init__(self, bot: Bot, channel: str = "default"):
        self.bot = bot
        self.channel = channel
        self.choices: List[Option] = []
        self.picked: Optional[str] = None  # the entry the last message picked from the offered choices
        self.topic: Optional[str] = None  # the standard question last answered: context for follow-ups

    def send(self, text: str) -> Reply:
        text = text.strip()
        payload = text[len(SELECT_PREFIX):] if text.startswith(SELECT_PREFIX) else None
        self.picked = None
        if text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= len(self.choices):
            self.picked = self.choices[int(text) - 1].id
        elif payload and self.bot.kb.get(payload) and self.bot.kb[payload].is_live():
            self.picked = payload
        if self.picked:
            reply = self.bot.answer_entry(self.picked, self.channel)
        elif self.topic and len(text) <= FOLLOW_UP_MAX_CHARS and FOLLOW_UP.search(text):
            reply = self.bot.respond(f"{self.topic} {text}", self.channel)
        else:
            reply = self.bot.respond(text, self.channel)
        if reply.decision in ("answer", "handoff") and reply.entry_id:
            self.topic = self.bot.kb[reply.entry_id].question
        self.choices = list(reply.options) if reply.decision == "clarify" else list(reply.related)
        return reply


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.decision in ("answer", "handoff") and reply.related:
        lines.append("相关问题 / related:")
        lines += [f"  {n}. {o.question}" for n, o in enumerate(reply.related, 1)]
    if reply.decision == "handoff":
        lines.append("[转人工 / handed off to a human agent]")
    return "\n".join(lines)


def run(bot: Bot, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    session = ChatSession(bot)
    write("faqbot — 请输入您的问题（输入数字选择选项，Ctrl-D 或 /quit 退出）")
    while True:
        try:
            text = read("您> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text.strip() in ("/quit", "/exit"):
            return
        write("机器人> " + render(session.send(text)))
