"""Automatic assignment: a waiting conversation goes to a free agent of its group — the least busy one
(fewest conversations now, then the one who waited longest since their last), or in turns (round robin:
the one whose last conversation is the oldest). Free means online (not busy or away) and below their
limit of concurrent conversations. With ``queue`` agents pick from the queue themselves."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import case, func, select

from bot.config import DeskConfig
from bot.store import handoffs, serialised
from handoff.desk import AgentDesk


class Assignment:
    def __init__(self, desk: AgentDesk, policy: DeskConfig = DeskConfig()):
        self.desk = desk
        self.engine = desk.engine
        self._lock = desk._lock
        self.mode = policy.assignment

    @property
    def automatic(self) -> bool:
        return self.mode != "queue"

    def pick(self, group: str) -> Optional[dict]:
        """The agent the next conversation of ``group`` goes to, or None (nobody free, or agents pick)."""
        if not self.automatic:
            return None
        load, last = self._workload()
        free = [a for a in self.desk.agents() if a["status"] == "online" and a["role"] != "trainer"
                and group in a["groups"] and load.get(a["id"], 0) < self.desk.limit_of(a)]
        if not free:
            return None
        if self.mode == "least_busy":
            return min(free, key=lambda a: (load.get(a["id"], 0), last.get(a["id"], 0.0), a["id"]))
        return min(free, key=lambda a: (last.get(a["id"], 0.0), a["id"]))

    @serialised
    def _workload(self):
        """Per agent: conversations served now, and when they last took one."""
        active = func.sum(case((handoffs.c.status == "active", 1), else_=0))
        query = select(handoffs.c.agent_id, active, func.max(handoffs.c.accepted)) \
            .where(handoffs.c.agent_id.is_not(None)).group_by(handoffs.c.agent_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r[0]: int(r[1] or 0) for r in rows}, {r[0]: float(r[2] or 0.0) for r in rows}
