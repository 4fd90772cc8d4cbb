"""Who hears which event: the hub's topics for the desk, each agent, each skill group and each customer."""
from __future__ import annotations

DESK = "desk"  # content-free desk events ({"type": "queue"}): every signed-in agent page listens
SUPERVISION = "supervision"  # {"type": "activity", "session_id"}: a conversation moved; the live console refreshes
SIGNED_OUT = {"type": "signed_out"}  # on an agent's topic: their sockets check their token again


def session_topic(session_id: str) -> str:
    return "session:" + session_id


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


def group_topic(group: str) -> str:
    """Events that carry a customer's words (a queued customer's messages, tickets): only for the
    agents of that group, and supervisors and admins."""
    return f"group:{group}"


def staff_topics(staff: dict, all_groups) -> tuple:
    """The topics a staff member's socket may hear: the desk, their own, and their groups' (every
    group for supervisors and admins, who also watch the live console). Trainers and QA hear nothing:
    they do not work the desk."""
    if staff["role"] in ("trainer", "qa"):
        return ()
    groups = staff["groups"] if staff["role"] == "agent" else all_groups
    watching = (SUPERVISION,) if staff["role"] in ("supervisor", "admin") else ()
    return (DESK, agent_topic(staff["id"]), *(group_topic(g) for g in groups), *watching)
