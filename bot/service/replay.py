"""Replays a conversation through the bot and the transfer rules, turn by turn, saying why.

Used by `faqbot handoff explain` (which rule fired, and every rule's verdict) and by
`faqbot eval-dialogues` (turn-level accuracy and hand-off precision/recall).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional, Tuple

from bot.service.chat import ChatSession

from handoff.router import HandoffRouter
from handoff.transcript import Transcript


@dataclass
class ReplayedTurn:
    text: str
    decision: str  # the bot's own decision (answer, clarify, fallback, handoff)
    entry_id: Optional[str]
    emotion: float
    verdicts: List[Tuple[str, bool, str]]  # every rule: (name, fired, why)
    routing: Optional[dict]  # the hand-off, when one happened on this turn
    reasons: List[str] = field(default_factory=list)  # why the decision (bot.decision)
    expected_handoff: Optional[bool] = None
    expected_entry: Optional[str] = None

    @property
    def handed_off(self) -> bool:
        return self.routing is not None


def replay(bot, router: HandoffRouter, transcript: Transcript, now: Optional[datetime] = None) -> List[ReplayedTurn]:
    session = ChatSession(bot, transcript.channel, router, dict(transcript.attributes))
    out = []
    for turn in transcript.turns:
        session.attributes.update(turn.attributes)
        reply = session.send(turn.text, now=now)
        ctx = session.last_context
        bot_decision = ctx.turns[-1].decision if ctx.turns else reply.decision
        out.append(ReplayedTurn(turn.text, bot_decision, reply.entry_id, session.emotion, router.explain(ctx),
                                reply.handoff, list(reply.reasons), turn.handoff, turn.entry))
    return out


def render(transcript: Transcript, turns: List[ReplayedTurn], verbose: bool = True) -> str:
    lines = [f"== {transcript.id} (channel {transcript.channel}, attributes {transcript.attributes or '{}'})"]
    for n, t in enumerate(turns, 1):
        lines.append(f"{n:>3}. 客户: {t.text}")
        lines.append(f"     bot: {t.decision}{' → ' + t.entry_id if t.entry_id else ''}   emotion {t.emotion:.2f}")
        if t.reasons:
            lines.append(f"     why: {'; '.join(t.reasons)}")
        if t.routing:
            where = "leave a message" if t.routing["ticket"] else f"queue {t.routing['group']} (priority {t.routing['priority']})"
            lines.append(f"     ⇒ HAND-OFF by rule {t.routing['rule']}: {t.routing['reason']} → {where}")
        if verbose:
            lines += [f"       {'✓' if fired else '·'} {name}: {why}" for name, fired, why in t.verdicts]
    return "\n".join(lines)
