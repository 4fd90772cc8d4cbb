"""Contact-centre metrics of the hand-offs: how fast people pick up, answer and finish, and how busy they are.

Over the hand-offs created in the window (tickets — "leave a message" — never queued and are not counted):
- wait: accepted − created, for accepted hand-offs; ``wait_p50_s`` / ``wait_p90_s`` by nearest rank
  (a wait that actually happened, never an interpolation);
- ``service_level``: share accepted within the group's target seconds (``handoff.supervision.
  service_level_seconds``) among those whose outcome is known: accepted, abandoned, or still waiting
  past the target;
- ``abandon_rate``: left the queue before an agent accepted (closed without ever being accepted) among
  accepted + abandoned;
- ``first_response_p50_s``: the agent's first message − accepted; ``handle_time_p50_s``: closed − accepted;
- ``occupancy``: seconds online with at least one conversation of their own / seconds online, per agent
  from their presence changes, summed over the agents in scope;
- complaints: hand-offs to a complaint group, per 1,000 conversations; ``complaint_handle_p50_s``:
  closed − created;
- ``bot_csat``: share of "yes" among answers to "问题解决了吗？" at the end of bot-only conversations;
- ``qa_score``: mean quality-inspection score of the reviewed hand-offs.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select

from bot.config import SupervisionConfig
from bot.store import agent_status_log, feedback, handoffs, messages, qa_reviews, sessions
from handoff.live_console import target_seconds

NEVER_QUEUED = ("leave_message", "ticket")
NOBODY = "(none)"
RESOLVED = "resolved"  # feedback kind of the bot-only "问题解决了吗？" answer


def load_operations(conn, start: float) -> dict:
    """The hand-offs of the window with their agents' first messages and QA scores, presence changes, and
    the answers to "问题解决了吗？"."""
    rows = lambda query: [dict(r._mapping) for r in conn.execute(query)]  # noqa: E731
    found = rows(select(handoffs.c.id, handoffs.c.session_id, handoffs.c.created, handoffs.c.group,
                        handoffs.c.rule, handoffs.c.status, handoffs.c.agent_id, handoffs.c.accepted,
                        handoffs.c.closed, handoffs.c.channel)
                 .where(handoffs.c.created >= start, handoffs.c.status.notin_(NEVER_QUEUED)).order_by(handoffs.c.id))
    handed = select(handoffs.c.session_id).where(handoffs.c.created >= start)
    said = rows(select(messages.c.session_id, messages.c.created, messages.c.sender)
                .where(messages.c.session_id.in_(handed), messages.c.sender == "agent").order_by(messages.c.id))
    scores = dict(conn.execute(select(qa_reviews.c.handoff_id, qa_reviews.c.score)
                               .join(handoffs, handoffs.c.id == qa_reviews.c.handoff_id)
                               .where(handoffs.c.created >= start)).all())
    return {"handoffs": found, "said": said, "qa": scores,
            "presence": rows(select(agent_status_log).order_by(agent_status_log.c.created, agent_status_log.c.id)),
            "resolved": list({r["session_id"]: r for r in rows(  # a customer answering twice counts once: the last
                select(messages.c.session_id, feedback.c.value).join(messages, messages.c.id == feedback.c.message_id)
                .join(sessions, sessions.c.id == messages.c.session_id)
                .where(feedback.c.kind == RESOLVED, sessions.c.created >= start).order_by(feedback.c.id))}.values())}


def enrich_handoffs(data: dict, names: Dict[int, str], day) -> List[dict]:
    """Each hand-off with what the metrics read: its agent's name, day, first agent message, QA score."""
    agent_said: Dict[str, List[float]] = {}
    for m in data["said"]:
        if m["sender"] == "agent":
            agent_said.setdefault(m["session_id"], []).append(m["created"])
    out = []
    for h in data["handoffs"]:
        replies = [t for t in agent_said.get(h["session_id"], ()) if h["accepted"] is not None and t >= h["accepted"]
                   and (h["closed"] is None or t <= h["closed"])]
        out.append(dict(h, agent=names.get(h["agent_id"], NOBODY), day=day(h["created"]),
                        first_reply=min(replies) if replies else None, qa_score=data["qa"].get(h["id"])))
    return out


def operational_metrics(found: Sequence[dict], conversations: int, bot_only_answers: Iterable[str],
                        presence: Sequence[dict], agent_ids: Optional[Iterable[int]], window: Tuple[float, float],
                        settings: SupervisionConfig) -> dict:
    """The metrics above over the hand-offs ``found``; ``agent_ids``: whose occupancy counts (None: everyone's)."""
    now = window[1]
    target = lambda group: target_seconds(settings, group)  # noqa: E731
    accepted = [h for h in found if h["accepted"] is not None]
    abandoned = [h for h in found if h["accepted"] is None and h["status"] in ("closed", "abandoned")]
    waiting_too_long = [h for h in found if h["status"] == "queued" and now - h["created"] > target(h["group"])]
    within = [h for h in accepted if h["accepted"] - h["created"] <= target(h["group"])]
    complaints = [h for h in found if h["group"] in settings.complaint_groups]
    answers = list(bot_only_answers)
    scored = [h["qa_score"] for h in found if h.get("qa_score") is not None]
    return {
        "handoffs": len(found),
        "wait_p50_s": percentile([h["accepted"] - h["created"] for h in accepted], 50),
        "wait_p90_s": percentile([h["accepted"] - h["created"] for h in accepted], 90),
        "service_level": _share(len(within), len(accepted) + len(abandoned) + len(waiting_too_long)),
        "abandon_rate": _share(len(abandoned), len(accepted) + len(abandoned)),
        "first_response_p50_s": percentile([h["first_reply"] - h["accepted"] for h in accepted
                                            if h["first_reply"] is not None], 50),
        "handle_time_p50_s": percentile([h["closed"] - h["accepted"] for h in accepted if h["closed"] is not None], 50),
        "occupancy": occupancy(found, presence, agent_ids, window),
        "complaints": len(complaints),
        "complaint_rate_per_1000": round(1000 * len(complaints) / conversations, 1) if conversations else None,
        "complaint_handle_p50_s": percentile([h["closed"] - h["created"] for h in complaints if h["closed"]], 50),
        "bot_csat": _share(answers.count("yes"), len(answers)),
        "bot_csat_responses": len(answers),
        "qa_score": round(sum(scored) / len(scored), 1) if scored else None,
    }


def occupancy(found: Sequence[dict], presence: Sequence[dict], agent_ids: Optional[Iterable[int]],
              window: Tuple[float, float]) -> Optional[float]:
    """Σ seconds online with a conversation of one's own / Σ seconds online, over the agents in scope."""
    online = _online_intervals(presence, window)
    agents = set(online) if agent_ids is None else set(agent_ids) & set(online)
    busy_total = online_total = 0.0
    for agent_id in agents:
        busy = _union([(h["accepted"], h["closed"] if h["closed"] is not None else window[1])
                       for h in found if h["agent_id"] == agent_id and h["accepted"] is not None])
        online_total += sum(b - a for a, b in online[agent_id])
        busy_total += sum(_overlap(span, busy) for span in online[agent_id])
    return round(busy_total / online_total, 4) if online_total else None


ON_SHIFT = ("online", "busy")


def _online_intervals(presence: Sequence[dict], window: Tuple[float, float]) -> Dict[int, List[tuple]]:
    """Per agent, the stretches of the window they were on shift ("online", or "busy": serving, taking no more)."""
    out: Dict[int, List[tuple]] = {}
    since: Dict[int, Optional[float]] = {}
    for change in presence:
        agent, at = change["agent_id"], change["created"]
        if since.get(agent) is not None and change["status"] not in ON_SHIFT:
            out.setdefault(agent, []).append((since[agent], at))
            since[agent] = None
        elif change["status"] in ON_SHIFT and since.get(agent) is None:
            since[agent] = at
    for agent, at in since.items():
        if at is not None:
            out.setdefault(agent, []).append((at, window[1]))
    clipped = {a: [(max(s, window[0]), min(e, window[1])) for s, e in spans] for a, spans in out.items()}
    return {a: [(s, e) for s, e in spans if e > s] for a, spans in clipped.items()}


def _union(spans: List[tuple]) -> List[tuple]:
    merged: List[list] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(m) for m in merged]


def _overlap(span: tuple, others: List[tuple]) -> float:
    return sum(max(0.0, min(span[1], b) - max(span[0], a)) for a, b in others)


def percentile(values: List[float], p: float) -> Optional[float]:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None
