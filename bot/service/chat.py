"""A conversation in the terminal: numbered clarify options and related questions can be picked."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable, List, Optional

from handoff.turn import NoQueue, Turn
from knowledge_base.chitchat import is_closing
from knowledge_base.text.entities import Entity

from bot.actions.lookups import Lookups, Outcome, Pending
from bot.decision import LOOKUP_FAILED, Analysis, Decision, Transfer
from bot.engine import Bot
from bot import follow_up
from bot.picks import SELECT_PREFIX, is_option_number, pressed_person
from bot.reply import Option, Reply

PERSON_WORDS = {"zh": "转人工", "en": "talk to a person"}  # what the 转人工 button says, in the bot's language


class ChatSession:
    """Remembers the options last shown, so typing "2" (or sending a button's payload) picks one,
    and the turns so far, so transfer rules (``router``) can hand the conversation to a person."""

    def __init__(self, bot: Bot, channel: str = "default", router=None, attributes: Optional[dict] = None,
                 lookups: Optional[Lookups] = None):
        self.bot = bot
        self.lookups = lookups  # entries with an action look their answer up (bot/actions)
        self.pending: Optional[Pending] = None  # a lookup waiting for the input it asked for
        self.looked_up: List[dict] = []  # lookups of this conversation, newest last: for the agent taking over
        self.channel = channel
        self.router = router
        self.attributes = attributes or {}
        self.choices: List[Option] = []
        self.picked: Optional[str] = None  # the entry the last message picked from the offered choices
        self.topic: Optional[str] = None  # the entry last answered: context for follow-ups
        self.turns: List[Turn] = []  # since the last hand-off: what transfer rules count
        self.last_context = None  # the rules' view of the last turn (for explanations)
        self.emotion = 0.0  # negative emotion of the last message
        self.entities: List[Entity] = []  # numbers the customer gave (order, phone …): for the agent taking over

    def send(self, text: str, now: Optional[datetime] = None, queue=NoQueue()) -> Reply:
        """The reply to the customer's next message: understood in context, decided once (bot.decision)
        with the transfer rules' verdict on the conversation, then worded."""
        text = text.strip()
        group = pressed_person(text)
        if group is not None:  # the 转人工 button: the words that ask for a person, to the group it names
            text = PERSON_WORDS.get(self.bot.language, PERSON_WORDS["zh"])
        resumed = self._resumed(text)
        if resumed is not None:
            return resumed
        a, own_words = self._understand(text)
        self.note(a.entities)
        decision = self.bot.decide(a)
        routing = None
        if self.router is not None:
            decision, routing = self._with_rules(text, a, decision, own_words, now, queue, group or None)
        reply = self._looked_up(self.bot.word(a, decision, self.channel, routing), text, now, queue)
        self._remember(reply)
        return reply

    def _looked_up(self, reply: Reply, text: str, now=None, queue=NoQueue(), found=None) -> Reply:
        """An answer whose entry names an action, with the action's result in it (or its question)."""
        if self.lookups is None or reply.decision != "answer" or not reply.entry_id or reply.parts:
            return reply
        entry = self.bot.kb[reply.entry_id]
        language = self.bot.language_of(text)
        outcome = self.lookups.answer(entry, text, self.attributes, self.channel, language, found)
        if outcome is None:
            return reply
        own = entry.answer_for(self.channel, language)
        worded = outcome.text + reply.text[len(own):] if own and reply.text.startswith(own) else outcome.text
        asked = outcome.pending.to_dict() if outcome.pending else None
        reply = replace(reply, text=worded, lookup=outcome.lookup.to_dict() if outcome.lookup else asked)
        self.pending = outcome.pending
        if outcome.lookup is not None:
            self.looked_up = (self.looked_up + [outcome.lookup.to_dict()])[-5:]
        if outcome.handoff:
            return self._handed_over(reply, outcome, language, now, queue)
        return self._ruled_on(reply, outcome, language) if outcome.lookup is not None and outcome.lookup.ok else reply

    def _ruled_on(self, reply: Reply, outcome: Outcome, language: str) -> Reply:
        """Transfer rules reading the result (``lookup: {name: amount, at_least: 1000}``) hand over now."""
        if self.router is None or self.last_context is None or reply.handoff:
            return reply
        ctx = replace(self.last_context, lookup=outcome.lookup.to_dict())
        verdict = self.router.verdict(ctx)
        if verdict is None or verdict == self.router.verdict(self.last_context):
            return reply  # the result changed nothing the rules see
        routing = self.router.place(verdict, ctx, language, outcome.text).to_dict()
        self.turns = []
        return replace(reply, decision="handoff", text=f"{outcome.text}\n{routing['text']}", handoff=routing)

    def _resumed(self, text: str) -> Optional[Reply]:
        """The message answering the question a lookup asked (or cancelling it); None: any other message,
        understood as usual (the question is not asked again)."""
        pending, self.pending = self.pending, None
        entry = self.bot.kb.get(pending.entry_id) if pending else None
        if entry is None or self.lookups is None:
            return None
        language = self.bot.language_of(text)
        outcome: Optional[Outcome] = self.lookups.resume(pending, entry, text, self.attributes, self.channel, language)
        if outcome is None:
            return None
        reply = Reply("answer", entry.answer_for(self.channel, language), entry.id, related=[])
        if outcome.kind == "cancelled":
            return replace(reply, text=outcome.text, entry_id=None)
        reply = self._looked_up(reply, text, found=pending.found)
        self._remember(reply)
        return reply

    def _handed_over(self, reply: Reply, outcome: Outcome, language: str, now, queue) -> Reply:
        """The lookup failed and its action says a person takes over (without transfer rules: the answer stays)."""
        if self.router is None:
            return reply
        entry = self.bot.kb.get(reply.entry_id)
        ctx = self.last_context or self.router.context(self.turns, entry, self.attributes, self.channel, now, queue, [])
        routing = self.router.place(Transfer(LOOKUP_FAILED, f"lookup {outcome.lookup.action} {outcome.lookup.outcome}"),
                                    ctx, language, outcome.text).to_dict()
        self.turns = []
        return replace(reply, decision="handoff", text=f"{outcome.text}\n{routing['text']}", handoff=routing)

    def note(self, entities) -> None:
        """Keep ``entities`` the customer gave, each once, in the order given."""
        self.entities += [e for e in dict.fromkeys(entities) if e not in self.entities]

    def _understand(self, text: str):
        """(the analysis, whether it is of the customer's own words): a pick of an offered option, a
        follow-up read with the last topic ("那运费呢" after the returns answer), or the message itself."""
        self.picked = self._picked(text)
        if self.picked:
            return self.bot.pick(self.picked), False
        alone = self.bot.understand(text)
        if not (self.topic and follow_up.may_lean_on_topic(text)):
            return alone, True
        topic = self.bot.kb[self.topic]
        read = follow_up.in_context(alone, lambda: self.bot.understand(f"{topic.question} {text}", whole=True),
                                    self.bot.entry_index(self.topic), follow_up.is_follow_up(text),
                                    self.bot.decide, self.bot.confident, self.bot.policy.clarify_threshold,
                                    {self.bot.entry_index(r) for r in topic.related if self.bot.kb.get(r)})
        return read, read is alone

    def _picked(self, text: str) -> Optional[str]:
        if is_option_number(text) and 1 <= int(text) <= len(self.choices):
            picked = self.choices[int(text) - 1].id
        else:
            picked = text[len(SELECT_PREFIX):] if text.startswith(SELECT_PREFIX) else None
        entry = self.bot.kb.get(picked) if picked else None
        return picked if entry is not None and entry.is_live() else None  # retired since it was offered?

    def _with_rules(self, text: str, a: Analysis, own: Decision, own_words: bool, now, queue, group=None):
        """The transfer rules look at the bot's own decision in the conversation; their verdict decides again."""
        vector = a.vector if own_words else None
        self.emotion = 0.0 if self.picked else self.router.emotion(text, vector)
        person = 0.0 if self.picked else self.router.person(text, vector)
        entry_id = self.bot.entry_ids(a)[0] if own.kind in ("answer", "handoff") else None
        self.turns.append(Turn(text, own.kind, entry_id, bool(self.picked), self.emotion, person))
        entry = self.bot.kb.get(entry_id) if entry_id else None
        candidates = [(self.bot.kb[i], float(p)) for i, p in zip(self.bot.entry_ids(a), a.proba)]
        self.last_context = ctx = self.router.context(self.turns, entry, self.attributes, self.channel, now, queue,
                                                      candidates)
        verdict = self.router.verdict(ctx)
        decision = own if verdict is None else self.bot.decide(a, verdict)
        if decision.transfer is None:
            return decision, None
        self.turns = []  # after a person took over, counting starts afresh
        entry_text = (entry.answer_for() or "") if entry is not None and entry.handoff else ""
        routing = self.router.place(decision.transfer, ctx, self.bot.language_of(a.text), entry_text, group)
        return decision, routing.to_dict()

    def _remember(self, reply: Reply) -> None:
        if reply.decision in ("answer", "handoff") and reply.entry_id:
            self.topic = reply.entry_id
        if reply.decision == "answer" and reply.entry_id and is_closing(self.bot.kb[reply.entry_id]):
            self.topic, self.turns = None, []  # the customer is done: nothing to follow up on, nothing to count
        if reply.handoff:
            self.choices = []
        else:
            self.choices = list(reply.options) if reply.decision == "clarify" else list(reply.related)


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
