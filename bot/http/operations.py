"""What operators and load balancers ask: liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from typing import Iterable, Optional

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import Response

from bot.service.conversations import Conversations
from bot.service.live import LiveVersion
from bot.service.metrics import CONTENT_TYPE


def operations_router(conversations: Conversations, versions: Optional[LiveVersion],
                      metrics_addresses: Iterable[str] = ()) -> APIRouter:
    """``metrics_addresses`` (``server.metrics_addresses``): clients that may scrape /metrics without
    signing in (a Prometheus server); anyone else needs a supervisor's or admin's bearer token."""
    router = APIRouter(tags=["operations"])
    scrapers = frozenset(metrics_addresses)

    @router.get("/metrics", include_in_schema=False)
    def metrics(request: Request, authorization: Optional[str] = Header(None)) -> Response:
        """Queue lengths and agents online tell an outsider when nobody is watching: not public."""
        if (request.client.host if request.client else "") not in scrapers:
            token = (authorization or "").removeprefix("Bearer ").strip()
            staff = conversations.desk.agent_for_token(token) if token and conversations.desk else None
            if staff is None:
                raise HTTPException(401, "sign in as a supervisor or admin, or scrape from an address in "
                                         "server.metrics_addresses", headers={"WWW-Authenticate": "Bearer"})
            if staff["role"] not in ("supervisor", "admin"):
                raise HTTPException(403, "the metrics are for supervisors, admins and server.metrics_addresses")
        return Response(conversations.metrics.render(), media_type=CONTENT_TYPE)

    @router.get("/health", summary="Liveness")
    def health() -> dict:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: the model is loaded")
    def ready() -> dict:
        live = conversations.bot
        if not live.kb:
            raise HTTPException(503, "no knowledge base loaded")
        return {"status": "ready", "entries": len(live.kb), "encoder": live.manifest.get("encoder"),
                "kb_hash": live.manifest.get("kb_hash"), "version": versions.current if versions else None}

    return router
