"""Who is calling a staff route: the agent (or supervisor, admin) behind the bearer token."""
from __future__ import annotations

from typing import Callable, Optional

from fastapi import Depends, Header, HTTPException

from handoff.desk import AgentDesk


def signed_in(desk: AgentDesk, authorization: Optional[str]) -> dict:
    """The staff member behind a bearer token (401 without a valid one)."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    found = desk.agent_for_token(token) if token else None
    if found is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return found


def desk_staff(desk: AgentDesk) -> Callable[..., dict]:
    """A dependency: the signed-in agent, supervisor or admin (401 without a valid token; 403 for trainers, QA)."""
    def agent(authorization: Optional[str] = Header(None)) -> dict:
        found = signed_in(desk, authorization)
        if found["role"] in ("trainer", "qa"):
            raise HTTPException(403, "the workspace is for agents; trainers work at /trainer, QA at /qa")
        return found

    return agent


def supervising(agent: Callable[..., dict]) -> Callable[..., dict]:
    """A dependency: the signed-in supervisor or admin."""
    def supervisor(me: dict = Depends(agent)) -> dict:
        if me["role"] not in ("supervisor", "admin"):
            raise HTTPException(403, "this is for supervisors and admins")
        return me

    return supervisor


def with_role(desk: AgentDesk, roles, refusal: str) -> Callable[..., dict]:
    """A dependency: the signed-in staff member, if their role is one of ``roles`` (else 403 ``refusal``)."""
    def staff(authorization: Optional[str] = Header(None)) -> dict:
        found = signed_in(desk, authorization)
        if found["role"] not in roles:
            raise HTTPException(403, refusal)
        return found

    return staff


def curating(desk: AgentDesk) -> Callable[..., dict]:
    """A dependency: the signed-in trainer or admin (who curate what agents say)."""
    return with_role(desk, ("trainer", "admin"), "trainers and admins curate canned replies")
