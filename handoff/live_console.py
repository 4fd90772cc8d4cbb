"""What the supervisors' live console shows: every queued and active conversation — with a person or only the
bot — and the alerts that call for a supervisor to step in (同屏监控、应急接应).

Read from the store on each call, so every worker shows the same picture. Alerts:
- ``emotion``: the customer's last message at least ``emotion_alert`` negative (bot or human conversation);
- ``emotion_rising``: negative emotion climbing by ``emotion_rise`` or more over the last three messages;
- ``wait``: queued longer than the group's service-level seconds;
- ``agent_silent``: the customer has waited ``agent_silent_seconds`` for the agent's reply;
- ``repeating``: the customer sent the same words twice in a row.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Dict, List, Optional

from sqlalchemy import func, select

from bot.config import SupervisionConfig
from bot.privacy import mask_pii
from bot.store import ConversationStore, agents, handoffs, messages, sessions

MAX_CONVERSATIONS = 200
TREND = 5  # emotion scores shown per conversation
ALERT_LABELS = {"emotion": "情绪激动", "emotion_rising": "情绪上升", "wait": "排队超时", "agent_silent": "坐席未回复",
                "repeating": "客户重复提问"}
_PUNCTUATION = re.compile(r"[\s\W_]+")


def live_conversations(store: ConversationStore, settings: SupervisionConfig, now: Optional[float] = None) -> dict:
    """{"conversations": [...], "alerts": [...]}: open hand-offs, then bot conversations active within
    ``live_minutes``; newest activity first."""
    now = time.time() if now is None else now
    open_handoffs, said, names, started = _load(store, now - settings.live_minutes * 60)
    rows = []
    for session_id, history in said.items():
        handoff = open_handoffs.get(session_id)
        rows.append(_row(session_id, history, handoff, names, started.get(session_id), settings, now))
    for session_id, handoff in open_handoffs.items():
        if session_id not in said:
            rows.append(_row(session_id, [], handoff, names, started.get(session_id), settings, now))
    rows.sort(key=lambda r: (r["state"] == "bot", -(r["last_at"] or 0)))
    alerts = [dict(a, session_id=r["session_id"], handoff_id=r["handoff_id"]) for r in rows for a in r["alerts"]]
    return {"now": now, "conversations": rows[:MAX_CONVERSATIONS], "alerts": alerts}


def _load(store: ConversationStore, cutoff: float):
    with store.reading() as conn:
        found = conn.execute(select(handoffs).where(handoffs.c.status.in_(("queued", "active")))
                             .order_by(handoffs.c.id)).all()
        open_handoffs = {h.session_id: dict(h._mapping) for h in found}
        recent = select(messages.c.session_id).where(messages.c.created >= cutoff).group_by(messages.c.session_id) \
            .order_by(func.max(messages.c.id).desc()).limit(MAX_CONVERSATIONS)  # a busy hour: the newest only
        wanted = list(dict.fromkeys(list(open_handoffs) + [r[0] for r in conn.execute(recent)]))
        rows = conn.execute(select(messages.c.session_id, messages.c.created, messages.c.sender, messages.c.text,
                                   messages.c.emotion, messages.c.author)
                            .where(messages.c.session_id.in_(wanted)).order_by(messages.c.id)).all() if wanted else []
        started = dict(conn.execute(select(sessions.c.id, sessions.c.created).where(sessions.c.id.in_(wanted))).all()) \
            if wanted else {}
        channels = dict(conn.execute(select(sessions.c.id, sessions.c.channel).where(sessions.c.id.in_(wanted))).all()) \
            if wanted else {}
        names = dict(conn.execute(select(agents.c.id, agents.c.name)).all())
    said: Dict[str, List[dict]] = defaultdict(list)
    for r in rows:
        said[r.session_id].append(dict(r._mapping, channel=channels.get(r.session_id, "web")))
    return open_handoffs, said, names, started


def _row(session_id: str, history: List[dict], handoff: Optional[dict], names: Dict[int, str],
         started: Optional[float], settings: SupervisionConfig, now: float) -> dict:
    customer = [m for m in history if m["sender"] == "customer"]
    scores = [m["emotion"] for m in customer if m["emotion"] is not None]
    last = history[-1] if history else None
    state = handoff["status"] if handoff else "bot"
    row = {"session_id": session_id, "handoff_id": handoff["id"] if handoff else None, "state": state,
           "channel": handoff["channel"] if handoff else (history[0]["channel"] if history else "web"),
           "group": handoff["group"] if handoff else None, "rule": handoff["rule"] if handoff else None,
           "agent": names.get(handoff["agent_id"]) if handoff and handoff["agent_id"] else None,
           "agent_id": handoff["agent_id"] if handoff else None,
           "wait_s": _wait(handoff, now), "duration_s": round(now - started) if started else None,
           "last_message": mask_pii(last["text"][:80]) if last else "", "last_sender": last["sender"] if last else None,
           "last_at": last["created"] if last else None, "emotion": [round(s, 2) for s in scores[-TREND:]]}
    row["alerts"] = _alerts(row, history, customer, scores, handoff, settings, now)
    return row


def _wait(handoff: Optional[dict], now: float) -> Optional[int]:
    if handoff is None:
        return None
    return round((handoff["accepted"] or now) - handoff["created"])


def _alerts(row: dict, history: List[dict], customer: List[dict], scores: List[float], handoff: Optional[dict],
            settings: SupervisionConfig, now: float) -> List[dict]:
    found = []
    if scores and scores[-1] >= settings.emotion_alert:
        found.append(("emotion", f"情绪 {scores[-1]:.2f}"))
    elif len(scores) >= 3 and scores[-1] - scores[-3] >= settings.emotion_rise and scores[-3] < scores[-2] < scores[-1]:
        found.append(("emotion_rising", " → ".join(f"{s:.2f}" for s in scores[-3:])))
    if handoff and handoff["status"] == "queued" and now - handoff["created"] > target_seconds(settings, handoff["group"]):
        found.append(("wait", f"已排队 {round(now - handoff['created'])} 秒"))
    if handoff and handoff["status"] == "active" and history and history[-1]["sender"] == "customer":
        waited = now - max(history[-1]["created"], handoff["accepted"] or 0)
        if waited > settings.agent_silent_seconds:
            found.append(("agent_silent", f"客户已等 {round(waited)} 秒"))
    if len(customer) >= 2 and _same(customer[-1]["text"], customer[-2]["text"]):
        found.append(("repeating", mask_pii(customer[-1]["text"][:40])))
    return [{"kind": kind, "label": ALERT_LABELS[kind], "detail": detail} for kind, detail in found]


def target_seconds(settings: SupervisionConfig, group: str) -> float:
    """The group's service-level target: seconds within which an agent should accept."""
    targets = dict(settings.service_level_seconds)
    return targets.get(group, targets.get("default", 20))


def _same(a: str, b: str) -> bool:
    return _PUNCTUATION.sub("", a.lower()) == _PUNCTUATION.sub("", b.lower()) != ""
