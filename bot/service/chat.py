"""A conversation in the terminal: numbered clarify options and related questions can be picked."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable, List, Optional

from handoff.turn import NoQueue, Turn

from bot.engine import Bot
from bot.follow_up import is_follow_up
from bot.picks import SELECT_PREFIX, is_option_number
from bot.reply import Option, Reply



class ChatSession:
    """Remembers the options last shown, so typing "2" (or sending a button's payload) picks one,
    and the turns so far, so transfer rules (``router``) can hand the conversation to a person."""

    def __init__(self, bot: Bot, channel: str = "default", router=None, attributes: Optional[dict] = None):
        self.bot = bot
        self.channel = channel
        self.router = router
        self.attributes = attributes or {}
        self.choices: List[Option] = []
        self.picked: Optional[str] = None  # the entry the last message picked from the offered choices
        self.topic: Optional[str] = None  # the standard question last answered: context for follow-ups
        self.turns: List[Turn] = []  # since the last hand-off: what transfer rules count
        self.last_context = None  # the rules' view of the last turn (for explanations)
        self.emotion = 0.0  # negative emotion of the last message

    def send(self, text: str, now: Optional[datetime] = None, queue=NoQueue()) -> Reply:
        reply = self._reply(text.strip())
        return self._route(text.strip(), reply, now, queue) if self.router else reply

    def _route(self, text: str, reply: Reply, now, queue) -> Reply:
        self.emotion = emotion = 0.0 if self.picked else self.router.emotion(text)
        self.turns.append(Turn(text, reply.decision, reply.entry_id, bool(self.picked), emotion))
        entry = self.bot.kb.get(reply.entry_id) if reply.entry_id else None
        self.last_context = ctx = self.router.context(self.turns, entry, self.attributes, self.channel, now, queue)
        language = self.bot.language_of(text if not self.picked else entry.question)
        routing = self.router.route(ctx, language, reply.text if reply.decision == "handoff" else "")
        if routing is None:
            return reply
        self.turns = []  # after a person took over, counting starts afresh
        self.choices = []
        return dataclasses.replace(reply, decision="handoff", text=routing.text, handoff=routing.to_dict())

    def _reply(self, text: str) -> Reply:
        payload = text[len(SELECT_PREFIX):] if text.startswith(SELECT_PREFIX) else None
        self.picked = None
        if is_option_number(text) and 1 <= int(text) <= len(self.choices):
            self.picked = self.choices[int(text) - 1].id
        elif payload:
            self.picked = payload
        if self.picked and not (self.bot.kb.get(self.picked) and self.bot.kb[self.picked].is_live()):
            self.picked = None  # retired in a version published since the options were shown
        if self.picked:
            reply = self.bot.answer_entry(self.picked, self.channel)
        elif self.topic and is_follow_up(text):
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
        routing = reply.handoff or {}
        where = f" → {routing['group']} (rule {routing['rule']})" if routing else ""
        lines.append(f"[转人工 / handed off to a human agent{where}]")
    return "\n".join(lines)


def run(bot: Bot, read: Callable[[str], str] = input, write: Callable[[str], None] = print, router=None) -> None:
    session = ChatSession(bot, router=router)
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
