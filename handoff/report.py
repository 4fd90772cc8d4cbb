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
- answer feedback: 👍 / 👎 on bot answers;
- the hand-offs' contact-centre metrics (waits, service level, abandonment, handling, occupancy,
  complaints, bot-only satisfaction, QA): ``handoff/operations_report.py``.

Filters (``channel``, ``group``, ``agent``) keep the conversations, ratings and hand-offs that match;
a conversation's agent is who had its last hand-off, "(none)" when nobody accepted it.
"""
from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select

from bot.config import SupervisionConfig
from bot.store import ConversationStore, agents, feedback, handoffs, messages, sessions, surveys, tickets
from handoff.operations_report import NOBODY, enrich_handoffs, load_operations, operational_metrics
from knowledge_base.errors import InvalidInput

GROUPINGS = ("channel", "group", "rule", "day", "agent")
FILTERS = ("channel", "group", "agent")
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
                   window_hours: float = 24, now: Optional[float] = None,
                   supervision: SupervisionConfig = SupervisionConfig(), **where: Optional[str]) -> dict:
    """``where``: filters ``channel``, ``group``, ``agent`` (a username); None or "" keeps everything."""
    if by is not None and by not in GROUPINGS:
        raise InvalidInput(f"by: {by!r}; choose one of {GROUPINGS}")
    unknown = sorted(set(where) - set(FILTERS))
    if unknown:
        raise InvalidInput(f"filters {unknown}; choose among {FILTERS}")
    where = {k: v for k, v in where.items() if v}
    now = now or time.time()
    start = parse_since(since, now)
    data = _load(store, start)
    names = data["agents"]
    conversations = _kept(_conversations(data, window_hours * 3600, names), where)
    rated = _kept([dict(s, day=_day(s["created"]), agent=names.get(s["agent_id"], NOBODY)) for s in data["surveys"]],
                  where)
    by_session = {c["session"]: c for c in conversations}
    feedback_rows = [dict(f, **{k: by_session[f["session_id"]][k] for k in GROUPINGS})
                     for f in data["feedback"] if f["session_id"] in by_session]
    found = _kept(enrich_handoffs(data, names, _day), where)
    answers = [dict(a, **{k: by_session[a["session_id"]][k] for k in GROUPINGS})
               for a in data["resolved"] if a["session_id"] in by_session
               and not by_session[a["session_id"]]["transferred"]]
    in_scope = _agents_in_scope(data["agent_rows"], where)

    def metrics(convs, rated_, feedback_, found_, answers_, agent_ids):
        return dict(_metrics(convs, rated_, feedback_),
                    **operational_metrics(found_, len(convs), [a["value"] for a in answers_], data["presence"],
                                          agent_ids, (start, now), supervision))

    report = {"since": _iso(start), "until": _iso(now), "by": by, "filters": where,
              "first_contact_window_hours": window_hours,
              "totals": metrics(conversations, rated, feedback_rows, found, answers, in_scope)}
    if by:
        keys = sorted({c[by] for c in conversations} | {s[by] for s in rated} | {h[by] for h in found})
        ids = {v: k for k, v in names.items()}
        report["rows"] = [dict(key=k, **metrics([c for c in conversations if c[by] == k],
                                                [s for s in rated if s[by] == k],
                                                [f for f in feedback_rows if f[by] == k],
                                                [h for h in found if h[by] == k], [a for a in answers if a[by] == k],
                                                [ids[k]] if by == "agent" and k in ids else in_scope))
                          for k in keys if not (by == "agent" and k == NOBODY)]
    return report


def _kept(rows: List[dict], where: dict) -> List[dict]:
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def _agents_in_scope(agent_rows: List[dict], where: dict) -> Optional[List[int]]:
    """Whose online time occupancy counts: the agent filtered on, or the group's agents; None: everyone."""
    if "agent" in where:
        return [a["id"] for a in agent_rows if a["username"] == where["agent"]]
    if "group" in where:
        return [a["id"] for a in agent_rows if where["group"] in json.loads(a["groups"])]
    return None


def _load(store: ConversationStore, start: float) -> dict:
    with store._lock, store.engine.connect() as conn:
        rows = lambda query: [dict(r._mapping) for r in conn.execute(query)]  # noqa: E731
        agent_rows = rows(select(agents.c.id, agents.c.username, agents.c.groups).where(agents.c.role.notin_(("trainer", "qa"))))
        return {
            **load_operations(conn, start), "agent_rows": agent_rows,
            "agents": {a["id"]: a["username"] for a in agent_rows},
            "last_agent": dict(conn.execute(select(handoffs.c.session_id, handoffs.c.agent_id)
                                            .where(handoffs.c.created >= start, handoffs.c.agent_id.isnot(None))
                                            .order_by(handoffs.c.id)).all()),
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


def _conversations(data: dict, window: float, names: Dict[int, str]) -> List[dict]:
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
        starts[s["customer_id"] or s["id"]].append((s["created"], s["id"]))
    out = []
    for s in data["sessions"]:
        said = by_session.get(s["id"], [])
        if not any(m["sender"] == "customer" for m in said):
            continue
        bot = [m for m in said if m["sender"] == "bot"]
        last = bot[-1] if bot else None
        moved = transfer.get(s["id"])
        ended = said[-1]["created"]
        repeat = any(ended < t <= ended + window and other != s["id"]  # another conversation, soon after
                     for t, other in starts[s["customer_id"] or s["id"]])
        out.append({"session": s["id"], "channel": s["channel"], "day": _day(s["created"]),
                    "group": moved["group"] if moved else BOT_ONLY, "rule": moved["rule"] if moved else BOT_ONLY,
                    "agent": names.get(data["last_agent"].get(s["id"]), NOBODY), "transferred": moved is not None,
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
