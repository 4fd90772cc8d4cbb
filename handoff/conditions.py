"""Conditions of transfer rules: each looks at one turn in its conversation and says yes or no, and why.

A condition is written in YAML as a one-key mapping (``{fallbacks_in_a_row: 2}``); ``all``, ``any``
and ``not`` combine them. Every condition explains itself, so `faqbot handoff explain` can show
why a rule fired (or did not) on each turn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from bot.asking import is_question
from handoff.turn import TurnContext

Verdict = Tuple[bool, str]

# 转人工 / 人工客服 / 找客服 … and English requests for a person. "人工费" or "travel agent" are not requests.
DEFAULT_REQUEST_PATTERNS = (
    r"转人工", r"人工客服", r"人工服务", r"找客服", r"找人工", r"要人工", r"接人工", r"真人", r"^人工[!！。.?？]*$",
    r"客服在吗", r"不要机器人", r"(?i)\b(human|real person|live agent|speak to (an? )?(agent|person|someone))\b",
    r"(?i)\b(talk|speak|chat) (to|with) (an? )?(agent|human|person|representative|someone)\b",
    r"(?i)^(agent|operator|representative)[!.?]*$",
)
# ... unless the message asks *about* the service: its phone number, opening hours (客服电话多少, 人工几点下班).
DEFAULT_REQUEST_EXCEPTIONS = (r"电话|号码|热线|几点|时间|上班|下班|营业|phone number|hours|opening",)
# A keyword hit whose learned score is below this share of the threshold is a question, not a request.
VETO_SHARE = 0.2
# Complaints, legal threats, regulators, media: a person handles these, whatever the bot knows.
DEFAULT_SENSITIVE_PATTERNS = (
    r"投诉", r"(?<!\d)(12315|315)(?!\d)", r"律师", r"曝光", r"报警", r"起诉", r"消协", r"消费者协会", r"工商局",
    r"市场监管", r"媒体", r"法院", r"维权", r"骗子", r"诈骗", r"不给退", r"拒绝退款", r"退款纠纷",
    r"(?i)\b(complain(t|ts)?|lawyer|sue|lawsuit|legal action|police|fraud|scam|chargeback|dispute)\b",
)


# A request for a person found only by the learned score (no 转人工 in the words) is firm from this score;
# below it, a message the bot answers is taken for the question it is ("帮我看看 <单号> 到哪了" reads like "help me").
FIRM_REQUEST = 0.8
SUSTAINED_TURNS = 3  # anger insists when another of the customer's last messages was as negative


class Condition:
    insisting = False  # reads what the customer says now, not only how the bot did before

    def check(self, ctx: TurnContext) -> Verdict:
        raise NotImplementedError

    def insists(self, ctx: TurnContext) -> bool:
        """Whether this condition, having fired on ``ctx``, hands over even a confident answer: a firm
        request for a person, a sensitive topic, sustained anger. One that only reads the bot's past
        (fallbacks, ignored options) or one upset message offers a person beside the answer."""
        return self.insisting


@dataclass(frozen=True)
class Request(Condition):
    """The customer asks for a person (转人工, "agent") — not a question about the service's phone or hours.

    By the keyword list (unless an exception says the message asks *about* the service), or by the
    learned score of the turn (``Turn.person``, handoff.human_request) from ``threshold`` (None: off)."""
    patterns: Tuple[re.Pattern, ...]
    exceptions: Tuple[re.Pattern, ...] = ()
    threshold: Optional[float] = None
    insisting = True

    def check(self, ctx):
        asked, why = _search(self.patterns, ctx.text, "asked for a person")
        about, what = _search(self.exceptions, ctx.text, "asks about the service")
        turns = getattr(ctx, "turns", None)
        score = turns[-1].person if turns else None
        if self.threshold is not None and score is not None:
            if score >= self.threshold and not asked and score < FIRM_REQUEST \
                    and getattr(ctx, "decision", None) == "answer":
                return False, (f"learned score {score:.2f} ≥ {self.threshold:.2f} without words asking for a person, "
                               f"below {FIRM_REQUEST}: a question the bot answers")
            if score >= self.threshold:
                return True, f"asked for a person (learned score {score:.2f} ≥ {self.threshold:.2f})"
            if asked and score < VETO_SHARE * self.threshold:  # "跟我聊天的是真人吗" asks whether, not for
                return False, f"{why}, but the learned score is {score:.2f}: a question, not a request"
        if asked and about:
            return False, f"{why}, but {what}"
        return asked, why


@dataclass(frozen=True)
class Topic(Condition):
    """A sensitive topic: by the words used, the matched entry's category prefix or its id (intent)."""
    insisting = True
    patterns: Tuple[re.Pattern, ...] = ()
    categories: Tuple[str, ...] = ()
    entries: Tuple[str, ...] = ()

    def check(self, ctx):
        hit, why = _search(self.patterns, ctx.text, "sensitive words")
        if hit:
            return hit, why
        category = ctx.entry.category if ctx.entry else ""
        for prefix in self.categories:
            if category.startswith(prefix):
                return True, f"entry category {category!r} is sensitive"
        entry_id = ctx.entry.id if ctx.entry else None
        if entry_id in self.entries:
            return True, f"entry {entry_id!r} is sensitive"
        return False, "no sensitive words, category or entry"


@dataclass(frozen=True)
class EntryFlagged(Condition):
    """The bot matched an entry flagged ``handoff: true``."""
    insisting = True

    def check(self, ctx):
        flagged = ctx.entry is not None and ctx.entry.handoff and ctx.decision in ("answer", "handoff")
        return flagged, f"entry {ctx.entry.id!r} is flagged handoff" if flagged else "no hand-off entry matched"


@dataclass(frozen=True)
class FallbacksInARow(Condition):
    n: int

    def check(self, ctx):
        run = 0
        for turn in reversed(ctx.turns):
            if turn.decision != "fallback":
                break
            run += 1
        return run >= self.n, f"{run} fallback(s) in a row (rule: {self.n})"


@dataclass(frozen=True)
class RepeatedQuestion(Condition):
    """The same question asked again (same words, or nearly: character-pair overlap)."""
    insisting = True
    times: int
    similarity: float = 0.7

    def check(self, ctx):
        current = ctx.turns[-1]
        if current.picked or len(current.text) < 2:
            return False, "not a question"
        same = 1 + sum(1 for t in ctx.turns[:-1] if not t.picked and _similar(t.text, current.text) >= self.similarity)
        return same >= self.times, f"asked {same} time(s) (rule: {self.times})"


@dataclass(frozen=True)
class ClarifyIgnored(Condition):
    """Options offered and not taken (ignored, or rejected with 都不是), counted over the conversation."""
    n: int

    def check(self, ctx):
        ignored = sum(1 for before, after in zip(ctx.turns, ctx.turns[1:])
                      if before.decision == "clarify" and not after.picked)
        return ignored >= self.n, f"clarify options ignored {ignored} time(s) (rule: {self.n})"


@dataclass(frozen=True)
class EmotionAtLeast(Condition):
    """A negative message. One upset message with a question the bot can answer is answered, a person
    offered ("东西碎了 能退吗"); a grievance that asks nothing ("气死了 刚买就降价一百 还说不能保价"), anger
    that lasts (another of the last SUSTAINED_TURNS messages as negative) or a message the bot cannot
    answer goes to a person."""
    threshold: float

    def check(self, ctx):
        score = ctx.turns[-1].emotion
        return score >= self.threshold, f"negative emotion {score:.2f} (rule: ≥ {self.threshold:.2f})"

    def insists(self, ctx):
        return not is_question(ctx.text) or any(t.emotion >= self.threshold for t in ctx.turns[-SUSTAINED_TURNS:-1])


@dataclass(frozen=True)
class EmotionRising(Condition):
    """Negative emotion climbing over the last ``turns`` messages by at least ``by``."""
    insisting = True
    turns: int = 3
    by: float = 0.3

    def check(self, ctx):
        scores = [t.emotion for t in ctx.turns[-self.turns:]]
        rising = len(scores) == self.turns and all(b >= a for a, b in zip(scores, scores[1:])) \
            and scores[-1] - scores[0] >= self.by
        trail = " → ".join(f"{s:.2f}" for s in scores)
        return rising, f"emotion {trail} (rule: rising by ≥ {self.by} over {self.turns} turns)"


@dataclass(frozen=True)
class Attribute(Condition):
    """A customer attribute the host page passed, e.g. ``{name: vip_level, at_least: 3}``."""
    name: str
    equals: object = None
    one_of: Tuple = ()
    at_least: float = None

    def check(self, ctx):
        value = ctx.attributes.get(self.name)
        if value is None:
            return False, f"no attribute {self.name!r}"
        if self.at_least is not None:
            try:
                ok = float(value) >= self.at_least
            except (TypeError, ValueError):
                ok = False
            return ok, f"{self.name}={value!r} (rule: ≥ {self.at_least:g})"
        if self.one_of:
            return value in self.one_of, f"{self.name}={value!r} (rule: one of {list(self.one_of)})"
        return value == self.equals, f"{self.name}={value!r} (rule: = {self.equals!r})"


@dataclass(frozen=True)
class LookupField(Attribute):
    """A field of what the answer looked up this turn (bot/actions), e.g. ``{name: amount, at_least: 1000}``:
    a refund over the limit goes to the expert group. It reads this message's lookup: it insists."""
    insisting = True

    def check(self, ctx):
        lookup = getattr(ctx, "lookup", None)
        if not lookup or lookup.get("outcome") != "ok":
            return False, "nothing looked up this turn"
        found, why = Attribute.check(self, _Fields(dict(lookup.get("inputs") or {}, **lookup.get("result") or {})))
        return found, f"lookup {lookup.get('action')}: {why}".replace("no attribute", "no field")


@dataclass(frozen=True)
class _Fields:
    attributes: dict


@dataclass(frozen=True)
class Channel(Condition):
    channels: Tuple[str, ...]

    def check(self, ctx):
        return ctx.channel in self.channels, f"channel {ctx.channel!r} (rule: {list(self.channels)})"


@dataclass(frozen=True)
class InBusinessHours(Condition):
    expected: bool = True

    def check(self, ctx):
        open_now = ctx.hours.is_open(ctx.now)
        return open_now == self.expected, "within business hours" if open_now else "outside business hours"


@dataclass(frozen=True)
class AgentsOnline(Condition):
    """Queue state: at least ``min`` agents online in ``group`` (``min: 0`` with ``not`` = nobody there)."""
    group: str
    min: int = 1

    def check(self, ctx):
        online = ctx.queue.online(self.group)
        return online >= self.min, f"{online} agent(s) online in {self.group!r} (rule: ≥ {self.min})"


@dataclass(frozen=True)
class QueueAtLeast(Condition):
    group: str
    n: int

    def check(self, ctx):
        waiting = ctx.queue.waiting(self.group)
        return waiting >= self.n, f"{waiting} waiting in {self.group!r} (rule: ≥ {self.n})"


@dataclass(frozen=True)
class Decision(Condition):
    """The bot's own decision this turn (answer, clarify, fallback, handoff)."""
    decisions: Tuple[str, ...]

    def check(self, ctx):
        return ctx.decision in self.decisions, f"bot decided {ctx.decision} (rule: {list(self.decisions)})"


@dataclass(frozen=True)
class All(Condition):
    parts: Tuple[Condition, ...]

    def insists(self, ctx):
        return any(part.insists(ctx) for part in self.parts)

    def check(self, ctx):
        reasons = []
        for part in self.parts:
            ok, why = part.check(ctx)
            reasons.append(why)
            if not ok:
                return False, why
        return True, "; ".join(reasons)


@dataclass(frozen=True)
class Any(Condition):
    parts: Tuple[Condition, ...]

    def insists(self, ctx):
        """Insists when a part that fired does."""
        return any(part.check(ctx)[0] and part.insists(ctx) for part in self.parts)

    def check(self, ctx):
        reasons = []
        for part in self.parts:
            ok, why = part.check(ctx)
            if ok:
                return True, why
            reasons.append(why)
        return False, "; ".join(reasons)


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def check(self, ctx):
        ok, why = self.part.check(ctx)
        return not ok, f"not ({why})"


def _search(patterns: Sequence[re.Pattern], text: str, what: str) -> Verdict:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return True, f"{what}: {found.group(0)!r}"
    return False, f"no {what}"


def _pairs(text: str) -> set:
    text = re.sub(r"\W+", "", text.lower())
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def _similar(a: str, b: str) -> float:
    pa, pb = _pairs(a), _pairs(b)
    return len(pa & pb) / len(pa | pb)
