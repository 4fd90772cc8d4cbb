"""Outcome metrics: how well the bot and the people behind it serve customers.

Over conversations (sessions with at least one customer message) started in the window, the
surveys sent in it, and the answer feedback given in it on those conversations:
- transfer rate: conversations a transfer rule handed to a person (queued, or invited to leave a message);
- self-service resolution: not transferred, and the bot's last reply was an answer not rated unhelpful;
- first-contact resolution: no new conversation by the same customer within the window after this
  one's last message (customers are known by the host page's customer id, else by the session), and
  no message it left (a ticket) still unresolved;
- CSAT: share of 4–5 among ratings, and the mean; participation: ratings / invitations sent (an
  unanswered invitation counts against it); NPS: % promoters (9–10) − % detractors (0–6);
- answer feedback: 👍 / 👎 on bot answers.
"""
from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select

from bot.store import ConversationStore, feedback, messages, sessions, surveys, tickets
from knowledge_base.errors import InvalidInput

GROUPINGS = ("channel", "group", "rule", "day")
BOT_ONLY = "(bot)"
SPAN = re.compile(r"^(\d+)([mhdw])$")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(since: str, now: Optional[float] = None) -> float:
    """``7d``, ``24h``, ``2w``, a date ``2026-11-01`` (UTC) or ``all`` → a Unix time."""
    now = now or time.time()
    since = (since or "all").strip()
    if since == "all":
        return 0.0
    found = SPAN.match(since)
    if found:
        return now - int(found[1]) * UNIT_SECONDS[found[2]]
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise InvalidInput(f"since: {since!r} is not like 7d, 24h, 2026-11-01 or all")
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def outcome_report(store: ConversationStore, since: str = "30d", by: Optional[str] = None,
                   window_hours: float = 24, now: Optional[float] = None) -> dict:
    if by is not None and by not in GROUPINGS:
        raise InvalidInput(f"by: {by!r}; choose one of {GROUPINGS}")
    start = parse_since(since, now)
    data = _load(store, start)
    conversations = _conversations(data, window_hours * 3600)
    rated = [dict(s, day=_day(s["created"])) for s in data["surveys"]]
    by_session = {c["session"]: c for c in conversations}
    feedback_rows = [dict(f, **{k: by_session[f["session_id"]][k] for k in GROUPINGS})
                     for f in data["feedback"] if f["session_id"] in by_session]
    report = {"since": _iso(start), "until": _iso(now or time.time()), "by": by,
              "first_contact_window_hours": window_hours,
              "totals": _metrics(conversations, rated, feedback_rows)}
    if by:
        keys = sorted({c[by] for c in conversations} | {s[by] for s in rated})
        report["rows"] = [dict(key=k, **_metrics([c for c in conversations if c[by] == k],
                                                 [s for s in rated if s[by] == k],
                                                 [f for f in feedback_rows if f[by] == k]))
                          for k in keys]
    return report


def _load(store: ConversationStore, start: float) -> dict:
    with store._lock, store.engine.connect() as conn:
        rows = lambda query: [dict(r._mapping) for r in conn.execute(query)]  # noqa: E731
        return {
            "sessions": rows(select(sessions.c.id, sessions.c.channel, sessions.c.created, sessions.c.customer_id)
                             .where(sessions.c.created >= start)),
            "messages": rows(select(messages.c.session_id, messages.c.id, messages.c.sender, messages.c.decision,
                                    messages.c.created, messages.c.details)
                             .join(sessions, sessions.c.id == messages.c.session_id)
                             .where(sessions.c.created >= start).order_by(messages.c.id)),
            "surveys": rows(select(surveys).where(surveys.c.created >= start)),
            "unresolved": rows(select(tickets.c.session_id).where(tickets.c.created >= start,
                                                                  tickets.c.status.not_in(("resolved", "closed")))),
            "feedback": rows(select(feedback.c.message_id, feedback.c.value, feedback.c.created,
                                    messages.c.session_id, sessions.c.channel)
                             .join(messages, messages.c.id == feedback.c.message_id)
                             .join(sessions, sessions.c.id == messages.c.session_id)
                             .where(feedback.c.kind == "helpful", feedback.c.created >= start)),
        }


def _conversations(data: dict, window: float) -> List[dict]:
    by_session: Dict[str, List[dict]] = defaultdict(list)
    for m in data["messages"]:
        by_session[m["session_id"]].append(m)
    transfer: Dict[str, dict] = {}  # session → the first routing (queued, or offered to leave a message)
    for m in data["messages"]:
        if m["sender"] == "bot" and m["decision"] == "handoff" and m["details"]:
            routing = json.loads(m["details"]).get("handoff")
            if routing:
                transfer.setdefault(m["session_id"], routing)
    unhelpful = {f["message_id"] for f in data["feedback"] if f["value"] == "no"}
    unresolved = {t["session_id"] for t in data["unresolved"]}  # a left message not yet resolved
    starts = defaultdict(list)
    for s in data["sessions"]:
        starts[s["customer_id"] or s["id"]].append(s["created"])
    out = []
    for s in data["sessions"]:
        said = by_session.get(s["id"], [])
        if not any(m["sender"] == "customer" for m in said):
            continue
        bot = [m for m in said if m["sender"] == "bot"]
        last = bot[-1] if bot else None
        moved = transfer.get(s["id"])
        ended = said[-1]["created"]
        repeat = any(ended < t <= ended + window for t in starts[s["customer_id"] or s["id"]])
        out.append({"session": s["id"], "channel": s["channel"], "day": _day(s["created"]),
                    "group": moved["group"] if moved else BOT_ONLY, "rule": moved["rule"] if moved else BOT_ONLY,
                    "transferred": moved is not None,
                    "self_served": moved is None and last is not None and last["decision"] == "answer"
                    and last["id"] not in unhelpful,
                    "first_contact": not repeat and s["id"] not in unresolved})
    return out


def _metrics(conversations: List[dict], rated_surveys: List[dict], answer_feedback: Iterable[dict]) -> dict:
    n = len(conversations)
    invited = len(rated_surveys)
    ratings = [s["csat"] for s in rated_surveys if s["csat"] is not None]
    nps_answers = [s["nps"] for s in rated_surveys if s["nps"] is not None]
    helpful = [f["value"] for f in answer_feedback]
    return {
        "conversations": n,
        "transfer_rate": _share(sum(c["transferred"] for c in conversations), n),
        "self_service_rate": _share(sum(c["self_served"] for c in conversations), n),
        "first_contact_resolution": _share(sum(c["first_contact"] for c in conversations), n),
        "surveys_sent": invited,
        "ratings": len(ratings),
        "participation_rate": _share(len(ratings), invited),
        "csat": _share(sum(r >= 4 for r in ratings), len(ratings)),
        "csat_mean": round(sum(ratings) / len(ratings), 3) if ratings else None,
        "nps": round(100 * (sum(v >= 9 for v in nps_answers) - sum(v <= 6 for v in nps_answers))
                     / len(nps_answers), 1) if nps_answers else None,
        "nps_responses": len(nps_answers),
        "answers_helpful": helpful.count("yes"),
        "answers_unhelpful": helpful.count("no"),
        "helpful_rate": _share(helpful.count("yes"), len(helpful)),
    }


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).date().isoformat()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")
