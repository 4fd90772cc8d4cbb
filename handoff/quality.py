"""Quality inspection (质检): which closed conversations a QA reviewer looks at, the automatic checks run on
each, the scorecard they fill in, the agents' view of their scores with an appeal, and a finding turned
into a knowledge suggestion for the trainers.

The sample: every closed hand-off with a low rating, to a complaint group, or with a message at least as
negative as the live console's emotion alert — plus a random ``qa_sample_percent`` % of the rest, drawn by a
hash of the hand-off id, so every worker and every reload shows the same sample.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from sqlalchemy import func, insert, select, update

from bot.config import SupervisionConfig
from bot.privacy import mask_pii
from bot.store import ConversationStore, agents, handoffs, kb_suggestions, messages, qa_reviews, surveys
from knowledge_base.errors import Conflict, Forbidden, InvalidInput, NotFound

DEFAULT_SCORECARD = Path(__file__).parent / "data" / "scorecard.yml"
REVIEWERS = ("qa", "supervisor", "admin")
APPEALS = ("upheld", "rejected")  # upheld: the agent was right, the review's score no longer counts … as given


def load_scorecard(path: Optional[str] = None) -> List[dict]:
    """The scorecard's items: key, label, max (points), hint."""
    data = yaml.safe_load(Path(path or DEFAULT_SCORECARD).read_text(encoding="utf-8")) or {}
    items = data.get("items") if isinstance(data, dict) else None
    if not items or not all(isinstance(i, dict) and i.get("key") and isinstance(i.get("max"), int) and i["max"] > 0
                            for i in items):
        raise InvalidInput(f"{path or DEFAULT_SCORECARD}: a scorecard is `items:` with a key and a whole max each")
    return [{"key": str(i["key"]), "label": str(i.get("label", i["key"])), "max": i["max"],
             "hint": str(i.get("hint", ""))} for i in items]


class QualityInspection:
    def __init__(self, store: ConversationStore, settings: SupervisionConfig = SupervisionConfig()):
        self.store = store
        self.settings = settings
        self.scorecard = load_scorecard(settings.qa_scorecard)

    # -- the sample -----------------------------------------------------------------------------
    def sample(self, days: int = 30, now: Optional[float] = None) -> List[dict]:
        """Closed hand-offs of the last ``days`` not yet reviewed that the sample takes, with why."""
        now = time.time() if now is None else now
        worst = select(messages.c.session_id, func.max(messages.c.emotion).label("emotion")) \
            .where(messages.c.sender == "customer").group_by(messages.c.session_id).subquery()
        query = select(handoffs.c.id, handoffs.c.session_id, handoffs.c.group, handoffs.c.channel, handoffs.c.rule,
                       handoffs.c.closed, agents.c.name.label("agent"), surveys.c.csat, worst.c.emotion) \
            .outerjoin(agents, agents.c.id == handoffs.c.agent_id) \
            .outerjoin(surveys, surveys.c.handoff_id == handoffs.c.id) \
            .outerjoin(worst, worst.c.session_id == handoffs.c.session_id) \
            .outerjoin(qa_reviews, qa_reviews.c.handoff_id == handoffs.c.id) \
            .where(handoffs.c.status == "closed", handoffs.c.accepted.isnot(None), qa_reviews.c.id.is_(None),
                   handoffs.c.closed >= now - days * 86400).order_by(handoffs.c.closed.desc())
        with self.store.reading() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        picked = []
        for row in rows:
            reasons = self._reasons(row)
            if reasons:
                picked.append(dict(row, reasons=reasons))
        return picked

    def _reasons(self, row: dict) -> List[str]:
        s = self.settings
        reasons = []
        if row["csat"] is not None and row["csat"] <= s.qa_low_csat:
            reasons.append("低满意度")
        if row["group"] in s.complaint_groups:
            reasons.append("投诉")
        if row["emotion"] is not None and row["emotion"] >= s.emotion_alert:
            reasons.append("情绪激动")
        if not reasons and _drawn(row["id"], s.qa_sample_percent):
            reasons.append("随机抽检")
        return reasons

    # -- automatic checks -----------------------------------------------------------------------
    def checks(self, handoff_id: int) -> dict:
        """The conversation and what the machine found: forbidden words, a slow first reply, long silences."""
        handoff = self._handoff(handoff_id)
        with self.store.reading() as conn:
            said = [dict(r._mapping) for r in conn.execute(
                select(messages.c.id, messages.c.created, messages.c.sender, messages.c.text, messages.c.author,
                       messages.c.emotion).where(messages.c.session_id == handoff["session_id"])
                .order_by(messages.c.id))]
        return {"handoff": handoff, "messages": said, "findings": self._findings(handoff, said),
                "scorecard": self.scorecard}

    def _findings(self, handoff: dict, said: List[dict]) -> List[dict]:
        s, found = self.settings, []
        start, end = handoff["accepted"], handoff["closed"] or time.time()
        during = [m for m in said if start is not None and start <= m["created"] <= end]
        for m in during:
            words = [w for w in s.forbidden_words if m["sender"] == "agent" and w in m["text"]]
            if words:
                found.append({"check": "forbidden_words", "label": "禁用语", "detail": "、".join(words),
                              "message_id": m["id"]})
        first = next((m for m in during if m["sender"] == "agent"), None)
        if start is not None and (first["created"] if first else end) - start > s.slow_first_reply_seconds:
            waited = round((first["created"] if first else end) - start)
            found.append({"check": "slow_first_reply", "label": "首次响应慢", "detail": f"{waited} 秒"})
        waiting_since = None
        for m in during:
            if m["sender"] == "customer" and waiting_since is None:
                waiting_since = m["created"]
            elif m["sender"] == "agent" and waiting_since is not None:
                if m["created"] - waiting_since > s.long_silence_seconds:
                    found.append({"check": "long_silence", "label": "长时间未回复",
                                  "detail": f"{round(m['created'] - waiting_since)} 秒", "message_id": m["id"]})
                waiting_since = None
        return found

    # -- reviews --------------------------------------------------------------------------------
    def review(self, handoff_id: int, reviewer: dict, scores: Dict[str, int], comment: str = "") -> dict:
        """Score a conversation on the scorecard: every item, 0..its max. One review per hand-off."""
        if reviewer["role"] not in REVIEWERS:
            raise Forbidden("quality reviews are for QA, supervisors and admins")
        for item in self.scorecard:
            value = scores.get(item["key"])
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= item["max"]:
                raise InvalidInput(f"scores.{item['key']}: a whole number from 0 to {item['max']} ({item['label']})")
        unknown = sorted(set(scores) - {i["key"] for i in self.scorecard})
        if unknown:
            raise InvalidInput(f"scores: {unknown} are not on the scorecard")
        handoff = self._handoff(handoff_id)
        checked = self.checks(handoff_id)["findings"]
        total = round(100 * sum(scores.values()) / sum(i["max"] for i in self.scorecard), 1)
        with self.store.transaction() as conn:
            if conn.execute(select(qa_reviews.c.id).where(qa_reviews.c.handoff_id == handoff_id)).first():
                raise Conflict(f"hand-off {handoff_id} was already reviewed")
            review_id = conn.execute(insert(qa_reviews).values(
                handoff_id=handoff_id, agent_id=handoff["agent_id"], reviewer_id=reviewer["id"], created=time.time(),
                scores=json.dumps(scores), score=total, comment=comment[:2000],
                checks=json.dumps(checked, ensure_ascii=False)).returning(qa_reviews.c.id)).scalar_one()
        return self.reviews(review_id=review_id)[0]

    def reviews(self, agent_id: Optional[int] = None, review_id: Optional[int] = None,
                appealed_only: bool = False) -> List[dict]:
        """Reviews newest first, with each item's label; an agent's own (``agent_id``) or all."""
        reviewer = agents.alias("reviewer")
        query = select(qa_reviews, handoffs.c.session_id, handoffs.c.group, agents.c.name.label("agent"),
                       reviewer.c.name.label("reviewer")) \
            .join(handoffs, handoffs.c.id == qa_reviews.c.handoff_id) \
            .outerjoin(agents, agents.c.id == qa_reviews.c.agent_id) \
            .join(reviewer, reviewer.c.id == qa_reviews.c.reviewer_id).order_by(qa_reviews.c.id.desc())
        if agent_id is not None:
            query = query.where(qa_reviews.c.agent_id == agent_id)
        if review_id is not None:
            query = query.where(qa_reviews.c.id == review_id)
        if appealed_only:
            query = query.where(qa_reviews.c.appeal_status == "pending")
        labels = {i["key"]: i["label"] for i in self.scorecard}
        with self.store.reading() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["scores"] = [{"key": k, "label": labels.get(k, k), "points": v}
                             for k, v in json.loads(row["scores"]).items()]
            row["checks"] = json.loads(row["checks"])
        return rows

    def appeal(self, review_id: int, agent: dict, text: str) -> None:
        """The reviewed agent disagrees: their reason goes to the reviewers (once)."""
        if not text.strip():
            raise InvalidInput("appeal: say why the review is wrong")
        with self.store.transaction() as conn:
            done = conn.execute(update(qa_reviews).where(qa_reviews.c.id == review_id,
                                                         qa_reviews.c.agent_id == agent["id"],
                                                         qa_reviews.c.appeal.is_(None))
                                .values(appeal=text.strip()[:2000], appealed=time.time(), appeal_status="pending"))
            if done.rowcount != 1:
                raise Conflict(f"review {review_id} is not yours, or was appealed already")

    def decide_appeal(self, review_id: int, reviewer: dict, decision: str, score: Optional[float] = None) -> None:
        """``upheld`` (optionally with a corrected ``score``) or ``rejected``."""
        if reviewer["role"] not in REVIEWERS or decision not in APPEALS:
            raise InvalidInput(f"decision: one of {APPEALS}, by QA, a supervisor or an admin")
        values = {"appeal_status": decision}
        if decision == "upheld" and score is not None:
            values["score"] = max(0.0, min(100.0, float(score)))
        with self.store.transaction() as conn:
            done = conn.execute(update(qa_reviews).where(qa_reviews.c.id == review_id,
                                                         qa_reviews.c.appeal_status == "pending").values(**values))
            if done.rowcount != 1:
                raise NotFound(f"review {review_id} has no open appeal")

    def suggest_knowledge(self, review_id: int, reviewer: dict, question: str, answer: str = "") -> int:
        """A finding for the trainers: a customer's question the knowledge base should answer (with the answer
        the agent gave, if good), filed as an open suggestion of kind ``qa``."""
        review = (self.reviews(review_id=review_id) or [None])[0]
        if review is None:
            raise NotFound(f"no review {review_id}")
        if not question.strip():
            raise InvalidInput("question: the customer's question the knowledge base should answer")
        payload = {"questions": [mask_pii(question.strip())[:500]], "action": "new_entry", "entry_id": None,
                   "entry_question": "", "score": None, "volume": 1, "answer": answer.strip()[:5000],
                   "detail": {"sessions": 1, "review_id": review_id, "by": reviewer["name"]}, "evidence": {}}
        with self.store.transaction() as conn:
            return int(conn.execute(insert(kb_suggestions).values(
                key=f"qa:{review_id}:{hashlib.sha1(question.encode()).hexdigest()[:8]}", kind="qa",
                created=time.time(), status="open", payload=json.dumps(payload, ensure_ascii=False))
                .returning(kb_suggestions.c.id)).scalar_one())

    def _handoff(self, handoff_id: int) -> dict:
        with self.store.reading() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        if row is None:
            raise NotFound(f"no hand-off {handoff_id}")
        return {k: v for k, v in row._mapping.items() if k != "packet"}


def _drawn(handoff_id: int, percent: float) -> bool:
    digest = hashlib.sha256(f"qa-sample:{handoff_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100
