"""Follow-up on unhappy customers: a CSAT ≤ 2 or NPS ≤ 6 becomes a call-back task for the group lead, due
within hours, whose outcome is recorded; and the daily digest of the survey comments.

The task is made in the rating's own worker right after the rating is stored; the survey id is unique in
the table, so a rating can never make two."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from sqlalchemy import select, update

from bot.config import SupervisionConfig
from bot.privacy import mask_pii
from bot.store import ConversationStore, agents, callbacks, insert_if_new, surveys
from knowledge_base.errors import InvalidInput, NotFound

STATUSES = ("open", "done")


class FollowUps:
    def __init__(self, store: ConversationStore, settings: SupervisionConfig = SupervisionConfig()):
        self.store = store
        self.settings = settings

    def after_rating(self, survey_id: int) -> Optional[int]:
        """A call-back task when this answered survey is unhappy enough; its id (None: no task needed)."""
        with self.store.transaction() as conn:
            row = conn.execute(select(surveys).where(surveys.c.id == survey_id)).first()
            if row is None or not self._unhappy(row.csat, row.nps):
                return None
            reasons = [f"CSAT {row.csat}"] if row.csat is not None and row.csat <= self.settings.callback_csat_at_most \
                else []
            if row.nps is not None and row.nps <= self.settings.callback_nps_at_most:
                reasons.append(f"NPS {row.nps}")
            now = time.time()
            insert_if_new(conn, callbacks, survey_id=survey_id, session_id=row.session_id, group=row.group,
                          created=now, due=now + self.settings.callback_due_hours * 3600, reason="，".join(reasons),
                          status="open")
            return conn.execute(select(callbacks.c.id).where(callbacks.c.survey_id == survey_id)).scalar_one()

    def _unhappy(self, csat: Optional[int], nps: Optional[int]) -> bool:
        return (csat is not None and csat <= self.settings.callback_csat_at_most) or \
            (nps is not None and nps <= self.settings.callback_nps_at_most)

    def tasks(self, status: Optional[str] = "open", groups: Optional[List[str]] = None) -> List[dict]:
        """Call-backs, soonest due first, with the rating and the customer's comment (masked: the lead
        reaches the customer through their customer id, never a number copied into a page or an e-mail)."""
        query = select(callbacks, surveys.c.csat, surveys.c.nps, surveys.c.comment, agents.c.name.label("agent")) \
            .join(surveys, surveys.c.id == callbacks.c.survey_id).outerjoin(agents, agents.c.id == surveys.c.agent_id) \
            .order_by(callbacks.c.due, callbacks.c.id)
        if status:
            query = query.where(callbacks.c.status == status)
        if groups is not None:
            query = query.where(callbacks.c.group.in_(groups))
        with self.store.reading() as conn:
            return [dict(r._mapping, comment=mask_pii(r.comment or ""), overdue=r.status == "open" and r.due < time.time())
                    for r in conn.execute(query)]

    def record(self, callback_id: int, outcome: str, by: dict) -> None:
        """The group lead called back: what came of it closes the task."""
        outcome = outcome.strip()
        if not outcome:
            raise InvalidInput("outcome: say what came of the call")
        with self.store.transaction() as conn:
            done = conn.execute(update(callbacks).where(callbacks.c.id == callback_id, callbacks.c.status == "open")
                                .values(status="done", outcome=outcome[:2000], done=time.time(), done_by=by["id"]))
            if done.rowcount != 1:
                raise NotFound(f"no open call-back {callback_id}")

    def digest(self, day: str) -> dict:
        """One day's (UTC) survey comments, lowest ratings first, masked for personal data."""
        try:
            start = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        except ValueError:
            raise InvalidInput(f"day: {day!r} is not like 2026-11-01")
        end = start + timedelta(days=1)
        query = select(surveys.c.csat, surveys.c.nps, surveys.c.comment, surveys.c.group, surveys.c.answered,
                       agents.c.name.label("agent")).outerjoin(agents, agents.c.id == surveys.c.agent_id) \
            .where(surveys.c.answered >= start.timestamp(), surveys.c.answered < end.timestamp())
        with self.store.reading() as conn:
            rated = [dict(r._mapping) for r in conn.execute(query)]
        comments = sorted(({**r, "comment": mask_pii(r["comment"])} for r in rated if (r["comment"] or "").strip()),
                          key=lambda r: (r["csat"] if r["csat"] is not None else 9, r["answered"]))
        return {"day": day, "ratings": len(rated), "comments": comments,
                "unhappy": sum(1 for r in rated if self._unhappy(r["csat"], r["nps"]))}
