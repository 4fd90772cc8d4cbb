"""热点问题 / 未知问题: the most-asked entries with their daily trend, and the unanswered questions day by day.

Per entry the numbers are ``training/analytics.py``'s (hits, helpful rate, clarify / fallback share near it);
this adds the per-day hits of the top entries and, per day, how many customer questions the bot could not
answer (fell back) or had to ask back about (clarified) — the curve a trainer watches go down.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from bot.store import ConversationStore
from knowledge_base.entry import KnowledgeBase
from training.analytics import ANSWERED, _replies, knowledge_analytics

FIELDS = ("entry_id", "question", "category", "hits", "helpful_rate", "near", "clarify_share", "fallback_share")


def hot_questions(store: ConversationStore, kb: KnowledgeBase, days: int = 14, top: int = 10,
                  now: Optional[float] = None, limit: int = 100_000) -> dict:
    """``top`` most-answered entries over ``days`` days (each with ``trend``: hits per day, oldest first),
    and ``unanswered``: per day, customer questions the bot fell back or clarified on."""
    now = time.time() if now is None else now
    span = _days(now, days)
    replies = _replies(store, now - days * 86400, limit)
    hits = Counter((r.entry_id, _day(r.created)) for r in replies if r.decision in ANSWERED and r.entry_id)
    asked = Counter((r.decision, _day(r.created)) for r in replies)
    entries = [e for e in knowledge_analytics(store, kb, days, now=now, limit=limit) if e.hits][:top]
    return {"days": span,
            "entries": [dict({f: getattr(e, f) for f in FIELDS}, unanswered=e.unanswered,
                             trend=[hits[(e.entry_id, d)] for d in span]) for e in entries],
            "unanswered": [{"day": d, "replies": sum(asked[(k, d)] for k in ("answer", "clarify", "fallback", "handoff")),
                            "fallback": asked[("fallback", d)], "clarify": asked[("clarify", d)]} for d in span]}


def _days(now: float, days: int) -> List[str]:
    today = datetime.fromtimestamp(now, timezone.utc).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).date().isoformat()
