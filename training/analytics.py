"""Knowledge analytics: how each entry serves customers, read from the conversation store.

Per entry, over the window: **hits** (the bot answered with it, or handed off with it), the
**helpful rate** (👍 / (👍 + 👎) on those answers), the questions **near** it — every bot reply whose
entry, or (when it clarified or fell back) whose first candidate, is this entry — and which share of
those the bot clarified or fell back on, when a question near it was **last asked**, and the most
recent unanswered questions near it (masked for personal data). **Stale** entries: no hits in the
window, or validity ending within ``expiring_days`` (or already ended).
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Dict, List, Optional

from sqlalchemy import and_, case, func, select

from bot.privacy import mask_pii
from bot.store import ConversationStore, feedback
from bot.store import messages as message_table
from knowledge_base.entry import KnowledgeBase

SHOWN_UNANSWERED = 3  # recent unanswered questions shown per entry
ANSWERED = ("answer", "handoff")
COLUMNS = ("entry_id", "question", "category", "status", "hits", "helpful", "not_helpful", "helpful_rate", "near",
           "clarify_share", "fallback_share", "last_asked", "valid_to", "stale", "unanswered")


@dataclass
class EntryAnalytics:
    entry_id: str
    question: str
    category: str
    status: str
    hits: int = 0
    helpful: int = 0
    not_helpful: int = 0
    helpful_rate: Optional[float] = None
    near: int = 0  # bot replies to questions near this entry
    clarify_share: Optional[float] = None
    fallback_share: Optional[float] = None
    last_asked: Optional[float] = None  # epoch seconds
    valid_to: Optional[str] = None
    stale: List[str] = field(default_factory=list)  # no_hits | expiring | expired
    unanswered: List[str] = field(default_factory=list)  # newest first

    def to_dict(self) -> dict:
        return asdict(self)


def knowledge_analytics(store: ConversationStore, kb: KnowledgeBase, days: int = 30, expiring_days: int = 14,
                        now: Optional[float] = None, limit: int = 100_000) -> List[EntryAnalytics]:
    """Every entry of ``kb`` with its numbers over the last ``days`` (the newest ``limit`` bot replies),
    most hits first."""
    now = time.time() if now is None else now
    rows = {e.id: EntryAnalytics(e.id, e.question, e.category, e.status,
                                 valid_to=e.valid_to.isoformat() if e.valid_to else None) for e in kb}
    clarified, fell_back = defaultdict(int), defaultdict(int)
    for reply in _replies(store, now - days * 86400, limit):
        row = rows.get(_near(reply))
        if row is None:
            continue
        row.near += 1
        row.last_asked = max(row.last_asked or 0.0, reply.created)
        if reply.decision in ANSWERED and reply.entry_id == row.entry_id:
            row.hits += 1
            row.helpful += int(reply.yes or 0)
            row.not_helpful += int(reply.no or 0)
        elif reply.decision in ("clarify", "fallback"):
            (clarified if reply.decision == "clarify" else fell_back)[row.entry_id] += 1
            if reply.asked and len(row.unanswered) < SHOWN_UNANSWERED:  # newest first
                row.unanswered.append(mask_pii(reply.asked.strip()))
    today = date.fromtimestamp(now)
    for row in rows.values():
        _finish(row, clarified[row.entry_id], fell_back[row.entry_id], today, expiring_days)
    return sorted(rows.values(), key=lambda r: (-r.hits, -r.near, r.entry_id))


def _replies(store: ConversationStore, since: float, limit: int):
    """Bot replies since ``since``, newest first, with the customer question each answered and its votes."""
    bot, earlier, asked = message_table.alias("b"), message_table.alias("e"), message_table.alias("c")
    votes = select(feedback.c.message_id,
                   func.sum(case((and_(feedback.c.kind == "helpful", feedback.c.value == "yes"), 1), else_=0)).label("yes"),
                   func.sum(case((and_(feedback.c.kind == "helpful", feedback.c.value == "no"), 1), else_=0)).label("no")) \
        .group_by(feedback.c.message_id).subquery()
    question = select(func.max(earlier.c.id)).where(
        earlier.c.session_id == bot.c.session_id, earlier.c.sender == "customer", earlier.c.id < bot.c.id) \
        .correlate(bot).scalar_subquery()
    query = select(bot.c.created, bot.c.decision, bot.c.entry_id, bot.c.details, votes.c.yes, votes.c.no,
                   asked.c.text.label("asked")) \
        .select_from(bot.outerjoin(votes, votes.c.message_id == bot.c.id).outerjoin(asked, asked.c.id == question)) \
        .where(bot.c.sender == "bot", bot.c.created >= since, bot.c.decision.is_not(None)) \
        .order_by(bot.c.id.desc()).limit(limit)
    with store.reading() as conn:
        return list(conn.execute(query))


def _near(reply) -> Optional[str]:
    """The entry a reply's question is near: the one it was answered with, else the first candidate."""
    if reply.entry_id:
        return reply.entry_id
    try:
        candidates = json.loads(reply.details or "{}").get("candidates") or []
    except ValueError:
        return None
    return candidates[0][0] if candidates else None


def _finish(row: EntryAnalytics, clarified: int, fell_back: int, today: date, expiring_days: int) -> None:
    votes = row.helpful + row.not_helpful
    row.helpful_rate = round(row.helpful / votes, 4) if votes else None
    if row.near:
        row.clarify_share = round(clarified / row.near, 4)
        row.fallback_share = round(fell_back / row.near, 4)
    if row.status == "published" and not row.hits:
        row.stale.append("no_hits")
    if row.valid_to:
        end = date.fromisoformat(row.valid_to)
        if end < today:
            row.stale.append("expired")
        elif end <= today + timedelta(days=expiring_days):
            row.stale.append("expiring")


def to_csv(rows: List[EntryAnalytics]) -> str:
    """One line per entry (UTF-8 with a BOM, so Excel shows the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.to_dict()
        data["last_asked"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.last_asked)) if row.last_asked else ""
        data["stale"] = " ".join(row.stale)
        data["unanswered"] = " | ".join(row.unanswered)
        writer.writerow(["" if data[c] is None else data[c] for c in COLUMNS])
    return out.getvalue()
